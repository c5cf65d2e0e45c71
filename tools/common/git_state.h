// The source tree's git state, as every tool records it (ledger entries, review documents, caches).
//
// One rule for "dirty": the tree is dirty when `git status --porcelain --untracked-files=normal` lists
// anything, i.e. a tracked file is modified, staged, deleted or renamed, or an untracked file is not
// ignored (a new source file changes the build as much as an edited one); files matched by .gitignore
// (build trees, work corpora) never count. When git cannot answer (no git, not a repository), the state
// is unknown and counts as dirty: nothing is cached or recorded as clean on a guess.
#pragma once

#include <string>

#include "spawn.h"

namespace hm_tools {

struct GitState {
  std::string commit;  // HEAD's full hash; empty outside git or before the first commit
  std::string branch;  // the current branch, "(detached)" at a bare commit, empty without a commit
  bool dirty = true;
};

namespace git_detail {
// Runs git -C tree args...; true on exit 0, with stdout (trailing newlines removed) in `out`.
inline bool git(const std::string& tree, std::vector<std::string> args, std::string& out) {
  Spawn s;
  s.argv = {"git", "-C", tree};
  s.argv.insert(s.argv.end(), args.begin(), args.end());
  SpawnResult r = run(s);
  out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
  return r.started && r.status == 0;
}
}  // namespace git_detail

inline GitState git_state(const std::string& tree) {
  GitState g;
  std::string out;
  if (git_detail::git(tree, {"rev-parse", "--verify", "-q", "HEAD"}, out)) g.commit = out;
  if (git_detail::git(tree, {"symbolic-ref", "--short", "-q", "HEAD"}, out) && !out.empty() && !g.commit.empty())
    g.branch = out;
  else if (!g.commit.empty())
    g.branch = "(detached)";
  if (git_detail::git(tree, {"status", "--porcelain", "--untracked-files=normal"}, out)) g.dirty = !out.empty();
  return g;
}

}  // namespace hm_tools
