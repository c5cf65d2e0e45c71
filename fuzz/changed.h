// The part of `hakmem fuzz --changed BASE` that maps a change to harnesses: the registry boxes
// each changed file belongs to, every box that depends on them (alloc/registry/boxes.def),
// and the harnesses of those boxes (fuzz/<box>_fuzz.cc).
#pragma once

#include <set>
#include <string>
#include <vector>

namespace hm_fuzz {

// The boxes a file of the source tree (a repo-relative path) belongs to:
//   alloc/<box>/..., invariants/<box>_check.cc, fuzz/<box>_fuzz.cc, fuzz/<box>_fuzz.dict,
//   fuzz/corpus/<box>_fuzz/..., fuzz/crashes/<box>_fuzz/...                -> that box;
//   what every box or harness builds on (alloc/ files outside a box folder, the registry,
//   include/hakmem/, the rest of invariants/, the harnesses' shared headers and CMakeLists) -> every box;
//   anything else (docs, bench, review, tests, tools)                        -> none.
std::set<std::string> boxes_of_file(const std::string& path);

// The boxes and every box that depends on one of them, directly or through others.
std::set<std::string> with_dependents(const std::set<std::string>& boxes);

// The harness of each box that has one among `available` (harness names), in registry order.
std::vector<std::string> harnesses_of(const std::set<std::string>& boxes, const std::vector<std::string>& available);

// The repo-relative files changed since the git revision `base` in the tree at `src` (committed
// since, staged, unstaged and untracked); false with `error` set when git fails.
bool changed_files(const std::string& src, const std::string& base, std::vector<std::string>* files,
                   std::string* error);

}  // namespace hm_fuzz
