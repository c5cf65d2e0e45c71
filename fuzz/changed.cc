// hakmem fuzz --changed: files -> boxes -> dependents -> harnesses (see changed.h).
#include "changed.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "registry/registry.h"

namespace hm_fuzz {
namespace {

using hm::registry::kBoxes;

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

std::set<std::string> all_boxes() {
  std::set<std::string> out;
  for (const auto& b : kBoxes) out.emplace(b.name);
  return out;
}
bool is_box(const std::string& name) { return hm::registry::find_box(name) != nullptr; }

// The first path component after prefix, or "" when the path has none.
std::string component(const std::string& path, const std::string& prefix) {
  if (!starts_with(path, prefix)) return "";
  std::string rest = path.substr(prefix.size());
  size_t slash = rest.find('/');
  return slash == std::string::npos ? "" : rest.substr(0, slash);
}

// "<box>_fuzz" -> "<box>" when box is a registry box.
std::string box_of_harness(const std::string& h) {
  if (!ends_with(h, "_fuzz")) return "";
  std::string b = h.substr(0, h.size() - 5);
  return is_box(b) ? b : "";
}

}  // namespace

std::set<std::string> boxes_of_file(const std::string& path) {
  if (starts_with(path, "alloc/")) {
    std::string b = component(path, "alloc/");
    if (b == "registry" || b.empty() || !is_box(b)) return all_boxes();
    return {b};
  }
  if (starts_with(path, "include/hakmem/")) return all_boxes();
  if (starts_with(path, "invariants/")) {
    std::string f = path.substr(11);
    if (ends_with(f, "_check.cc") && is_box(f.substr(0, f.size() - 9))) return {f.substr(0, f.size() - 9)};
    return all_boxes();
  }
  if (starts_with(path, "fuzz/corpus/") || starts_with(path, "fuzz/crashes/")) {
    std::string b = box_of_harness(component(path, starts_with(path, "fuzz/corpus/") ? "fuzz/corpus/" : "fuzz/crashes/"));
    return b.empty() ? std::set<std::string>{} : std::set<std::string>{b};
  }
  if (starts_with(path, "fuzz/") && path.find('/', 5) == std::string::npos) {
    std::string f = path.substr(5);
    for (const char* ext : {".cc", ".dict"})
      if (ends_with(f, ext)) {
        std::string b = box_of_harness(f.substr(0, f.size() - std::string(ext).size()));
        if (!b.empty()) return {b};
      }
    if (f == "fuzz_common.h" || f == "fuzz_crew.h" || f == "segment_anchor.h" || f == "CMakeLists.txt" ||
        f == "coverage_ignore.txt")
      return all_boxes();
  }
  return {};
}

std::set<std::string> with_dependents(const std::set<std::string>& boxes) {
  std::set<std::string> out = boxes;
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& b : kBoxes) {
      if (out.count(std::string(b.name))) continue;
      std::istringstream deps{std::string(b.deps)};
      for (std::string d; deps >> d;)
        if (out.count(d)) {
          out.emplace(b.name);
          grew = true;
          break;
        }
    }
  }
  return out;
}

std::vector<std::string> harnesses_of(const std::set<std::string>& boxes, const std::vector<std::string>& available) {
  std::vector<std::string> out;
  for (const auto& b : kBoxes) {
    std::string h = std::string(b.name) + "_fuzz";
    if (boxes.count(std::string(b.name)) && std::find(available.begin(), available.end(), h) != available.end())
      out.push_back(h);
  }
  return out;
}

bool changed_files(const std::string& src, const std::string& base, std::vector<std::string>* files,
                   std::string* error) {
  if (base.empty() || base[0] == '-' || base.find_first_of("'\"\\$`;|&<> \t\n") != std::string::npos) {
    *error = "bad revision '" + base + "'";
    return false;
  }
  std::set<std::string> out;
  const std::string git = "git -C '" + src + "' ";
  for (const std::string& cmd : {git + "diff --name-only '" + base + "' --", git + "ls-files --others --exclude-standard"}) {
    FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
    if (!p) {
      *error = "cannot run git";
      return false;
    }
    char line[4096];
    while (std::fgets(line, sizeof line, p)) {
      std::string s(line);
      while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
      if (!s.empty()) out.insert(s);
    }
    if (pclose(p) != 0) {
      *error = "git failed: " + cmd;
      return false;
    }
  }
  files->assign(out.begin(), out.end());
  return true;
}

}  // namespace hm_fuzz
