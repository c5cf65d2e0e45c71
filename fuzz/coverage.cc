// hakmem fuzz --coverage (see coverage.h).
#include "coverage.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace hm_fuzz {
namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a shell command; its stdout into *out when given.
int sh(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    if (out) out->append(buf, n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace

std::map<std::string, Coverage> coverage_by_box(const std::string& report) {
  std::map<std::string, Coverage> out;
  std::istringstream in(report);
  for (std::string line; std::getline(in, line);) {
    std::istringstream row(line);
    std::string file;
    row >> file;
    size_t at = file.find("alloc/");
    if (at == std::string::npos) continue;
    std::string rest = file.substr(at + 6);
    size_t slash = rest.find('/');
    if (slash == std::string::npos) continue;
    // Regions Missed Cover% Functions Missed Executed% Lines Missed Cover% Branches Missed Cover%
    std::vector<std::string> f;
    for (std::string w; row >> w;) f.push_back(w);
    if (f.size() < 12) continue;
    Coverage c;
    c.lines = std::atol(f[6].c_str()), c.lines_missed = std::atol(f[7].c_str());
    c.branches = std::atol(f[9].c_str()), c.branches_missed = std::atol(f[10].c_str());
    for (const std::string& key : {rest.substr(0, slash), std::string("alloc")}) {
      Coverage& s = out[key];
      s.lines += c.lines, s.lines_missed += c.lines_missed;
      s.branches += c.branches, s.branches_missed += c.branches_missed;
    }
  }
  return out;
}

int run_coverage(const fs::path& src, const fs::path& out_root, const fs::path& fuzz_build,
                 const std::vector<std::string>& harnesses) {
  fs::path root = fs::absolute(out_root);
  std::printf("hakmem fuzz --coverage: building the harnesses with source-based coverage into %s\n", root.c_str());
  std::fflush(stdout);
  if (sh("cd " + quote(src.string()) + " && fuzz/oss_fuzz_local.sh coverage " + quote(root.string()) + " >&2") != 0) {
    std::fprintf(stderr, "hakmem fuzz --coverage: the coverage build failed\n");
    return 1;
  }
  fs::path out = root / "coverage/out", work = root / "coverage/replay";
  fs::remove_all(work);
  fs::create_directories(work);
  std::string objects, profiles;
  for (const auto& h : harnesses) {
    if (!fs::exists(out / h)) continue;
    std::string dirs;
    for (const fs::path& d : {src / "fuzz/corpus" / h, fs::absolute(fuzz_build) / "fuzz-work" / h / "corpus"})
      if (fs::is_directory(d)) dirs += " " + quote(d.string());
    fs::path prof = work / (h + ".profraw");
    int st = sh("LLVM_PROFILE_FILE=" + quote(prof.string()) + " " + quote((out / h).string()) + " -runs=0" + dirs +
                " >" + quote((work / (h + ".log")).string()) + " 2>&1");
    std::printf("  %-16s replayed %s\n", h.c_str(), st == 0 ? "" : "(FAILED, see its log)");
    if (st != 0) return 1;
    objects += (objects.empty() ? " " : " -object ") + quote((out / h).string());
    profiles += " " + quote(prof.string());
  }
  if (objects.empty()) return 1;
  fs::path merged = work / "merged.profdata";
  if (sh("llvm-profdata merge -sparse" + profiles + " -o " + quote(merged.string())) != 0) return 1;
  std::string report;
  std::string cov = "llvm-cov report -instr-profile=" + quote(merged.string()) + objects;
  if (sh("cd " + quote(src.string()) + " && " + cov + " 2>/dev/null", &report) != 0) return 1;
  fs::path html = root / "coverage/html";
  if (sh("cd " + quote(src.string()) + " && llvm-cov show -format=html -show-branches=count -output-dir=" +
         quote(html.string()) + " -instr-profile=" + quote(merged.string()) + objects + " alloc/ >/dev/null") != 0)
    return 1;
  auto boxes = coverage_by_box(report);
  std::printf("\n%-12s %8s %8s %8s %9s\n", "box", "lines", "line%", "branches", "branch%");
  for (const auto& [box, c] : boxes)
    if (box != "alloc") std::printf("%-12s %8ld %7.1f%% %8ld %8.1f%%\n", box.c_str(), c.lines, c.line_pct(), c.branches, c.branch_pct());
  const Coverage& all = boxes["alloc"];
  std::printf("%-12s %8ld %7.1f%% %8ld %8.1f%%\n", "alloc/", all.lines, all.line_pct(), all.branches, all.branch_pct());
  std::printf("\nHTML report: %s/index.html\n", html.c_str());
  return 0;
}

}  // namespace hm_fuzz
