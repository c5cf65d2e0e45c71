#include "runner/spawn.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace hmb {
namespace {

// A child that touches 64 MiB reports at least that as peak RSS and its page faults;
// one that only exits reports far fewer. Figures come from wait4, so no timing is asserted.
TEST(RunProcess, ReportsTheChildsUsage) {
  EnvMap env = {{"PATH", kDefaultPath}};
  ProcResult big = run_process({"/bin/sh", "-c", "head -c 67108864 /dev/zero | tr '\\0' x | sort > /dev/null"}, &env);
  ProcResult small = run_process({"/bin/sh", "-c", "exit 3"}, &env);
  ASSERT_EQ(big.status, 0) << big.err;
  EXPECT_EQ(small.status, 3);
  EXPECT_GT(big.wall_s, 0.0);
  EXPECT_GE(big.user_s + big.sys_s, 0.0);
  EXPECT_GT(big.maxrss_kb, 32 * 1024.0);  // sort holds its input; wait4 covers the pipeline's processes
  EXPECT_GT(small.maxrss_kb, 0.0);
  EXPECT_GT(big.minor_faults, 8192.0);
  EXPECT_GT(big.minor_faults, 4 * small.minor_faults);
}

// A sitting's entries record the tree as the sitting found it: the ledger lines it appends (or
// anything else written meanwhile) leave sitting_git_state as it was, while git_state sees them.
TEST(GitState, ASittingKeepsTheStateItStartedWith) {
  char tmpl[] = "/tmp/hmb-git-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string git = "git -C " + dir + " -c user.name=t -c user.email=t@t ";
  ASSERT_EQ(std::system((git + "init -q && " + git + "commit -q --allow-empty -m x").c_str()), 0);
  EXPECT_FALSE(git_state(dir).dirty);
  EXPECT_FALSE(sitting_git_state(dir).dirty);
  std::ofstream(dir + "/ledger.jsonl") << "{}\n";
  EXPECT_TRUE(git_state(dir).dirty);
  EXPECT_FALSE(sitting_git_state(dir).dirty);
  EXPECT_EQ(sitting_git_state(dir).commit, git_state(dir).commit);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hmb
