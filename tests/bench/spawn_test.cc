#include "runner/spawn.h"

#include <gtest/gtest.h>
#include <sched.h>
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

// The probe's round trip: with two CPUs to run on, a positive figure (a trip cannot take under a
// nanosecond), and the calling thread's affinity as it was; with one, 0.
TEST(Machine, LineRoundTripNeedsTwoCpus) {
  cpu_set_t before;
  ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
  double ns = line_round_trip_ns(2000);
  cpu_set_t after;
  ASSERT_EQ(sched_getaffinity(0, sizeof after, &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&before, &after));
  if (CPU_COUNT(&before) >= 2) EXPECT_GE(ns, 1.0);
  else EXPECT_EQ(ns, 0.0);
  EXPECT_EQ(line_round_trip_ns(0), 0.0);
  // Confined to one CPU (a child, so this process keeps its set): no second CPU, no figure.
  EXPECT_EXIT(
      {
        cpu_set_t one;
        CPU_ZERO(&one);
        for (int c = 0; c < CPU_SETSIZE; ++c)
          if (CPU_ISSET(c, &before)) {
            CPU_SET(c, &one);
            break;
          }
        sched_setaffinity(0, sizeof one, &one);
        _exit(line_round_trip_ns(2000) == 0.0 ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
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
