// Box graph check: include scan of alloc/, declared deps, the layer rule.
#include "common/boxgraph.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "registry/registry.h"

namespace hm_tools {

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> source_files(const fs::path& dir) {
  static const std::set<std::string> ext = {".h", ".hpp", ".cc", ".cpp", ".inc", ".def"};
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file() && ext.count(e.path().extension().string())) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

size_t index_of(const std::vector<BoxNode>& boxes, const std::string& name) {
  for (size_t i = 0; i < boxes.size(); ++i)
    if (boxes[i].name == name) return i;
  return boxes.size();
}

}  // namespace

std::vector<BoxNode> registry_boxes() {
  std::vector<BoxNode> out;
  for (const auto& b : hm::registry::kBoxes) out.push_back({std::string(b.name), b.layer, words(b.deps)});
  return out;
}

const BoxNode* find_node(const std::vector<BoxNode>& boxes, const std::string& name) {
  size_t i = index_of(boxes, name);
  return i < boxes.size() ? &boxes[i] : nullptr;
}

std::vector<std::string> ordered_deps(const std::vector<BoxNode>& boxes, const BoxNode& b) {
  std::vector<std::string> d = b.deps;
  std::stable_sort(d.begin(), d.end(), [&](const std::string& x, const std::string& y) {
    const BoxNode* bx = find_node(boxes, x);
    const BoxNode* by = find_node(boxes, y);
    int lx = bx ? bx->layer : -1, ly = by ? by->layer : -1;
    if (lx != ly) return lx > ly;
    return index_of(boxes, x) < index_of(boxes, y);
  });
  return d;
}

std::vector<std::string> layer_problems(const std::vector<BoxNode>& boxes, std::vector<std::string>* unknown) {
  std::vector<std::string> out;
  for (const auto& b : boxes)
    for (const auto& d : ordered_deps(boxes, b)) {
      const BoxNode* to = find_node(boxes, d);
      if (!to) {
        if (unknown) unknown->push_back(b.name + " -> " + d);
      } else if (!layer_allows(b.layer, to->layer)) {
        out.push_back(b.name + " (layer " + std::to_string(b.layer) + ") -> " + d + " (layer " +
                      std::to_string(to->layer) + ")");
      }
    }
  return out;
}

std::vector<IncludeEdge> scan_includes(const std::string& tree, const std::vector<BoxNode>& boxes) {
  static const std::regex inc_re(R"(^\s*#\s*include\s*"([A-Za-z0-9_]+)/[^"]*")");
  std::vector<IncludeEdge> out;
  for (const auto& b : boxes) {
    for (const auto& f : source_files(fs::path(tree) / "alloc" / b.name)) {
      std::ifstream in(f);
      std::string line;
      int n = 0;
      while (std::getline(in, line)) {
        ++n;
        std::smatch m;
        if (!std::regex_search(line, m, inc_re)) continue;
        std::string to = m[1].str();
        if (to == b.name || !find_node(boxes, to)) continue;
        out.push_back({b.name, to, f.lexically_relative(fs::path(tree)).generic_string(), n});
      }
    }
  }
  return out;
}

BoxGraphCheck check_box_graph(const std::string& tree, const std::vector<BoxNode>& boxes) {
  BoxGraphCheck c;
  fs::path alloc = fs::path(tree) / "alloc";
  std::error_code ec;
  c.scanned = fs::is_directory(alloc, ec);
  std::set<std::pair<std::string, std::string>> used;
  if (c.scanned) {
    for (const auto& b : boxes)
      if (!fs::is_directory(alloc / b.name, ec)) c.missing_folders.push_back(b.name);
    std::vector<std::string> dirs;
    for (const auto& e : fs::directory_iterator(alloc, ec))
      if (e.is_directory()) dirs.push_back(e.path().filename().string());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& d : dirs)
      if (d != "registry" && !find_node(boxes, d)) c.unknown_folders.push_back(d);
    for (const auto& e : scan_includes(tree, boxes)) {
      const BoxNode* from = find_node(boxes, e.from);
      bool declared = std::find(from->deps.begin(), from->deps.end(), e.to) != from->deps.end();
      if (!declared && !used.count({e.from, e.to})) c.undeclared.push_back(e);
      used.insert({e.from, e.to});
    }
  }
  c.layer_problems = layer_problems(boxes, &c.unknown_deps);
  for (const auto& b : boxes)
    for (const auto& d : ordered_deps(boxes, b)) {
      if (!find_node(boxes, d)) continue;
      if (used.count({b.name, d}))
        c.seen.emplace_back(b.name, d);
      else
        c.unseen.emplace_back(b.name, d);
    }
  return c;
}

}  // namespace hm_tools
