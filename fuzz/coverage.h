// hakmem fuzz --coverage: clang source-based coverage of the committed and work corpora. Builds
// the harnesses the coverage way (fuzz/oss_fuzz_local.sh coverage), replays every corpus with a
// profile per harness, merges them (llvm-profdata) and prints line and branch coverage per box
// from llvm-cov's report, and writes llvm-cov's HTML report.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace hm_fuzz {

struct Coverage {
  long lines = 0, lines_missed = 0, branches = 0, branches_missed = 0;
  double line_pct() const { return lines ? 100.0 * static_cast<double>(lines - lines_missed) / static_cast<double>(lines) : 0; }
  double branch_pct() const {
    return branches ? 100.0 * static_cast<double>(branches - branches_missed) / static_cast<double>(branches) : 0;
  }
};

// Sums the rows of an `llvm-cov report` table (clang 14's columns: regions, functions, lines,
// branches) by box: files under alloc/<box>/ count for that box and for "alloc" (all of
// alloc/); other files are left out.
std::map<std::string, Coverage> coverage_by_box(const std::string& report);

// The whole run; returns the exit status (0 when everything built, replayed and reported).
int run_coverage(const std::filesystem::path& src, const std::filesystem::path& out_root,
                 const std::filesystem::path& fuzz_build, const std::vector<std::string>& harnesses);

}  // namespace hm_fuzz
