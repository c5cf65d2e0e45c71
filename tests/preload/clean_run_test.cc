// No false alarms: a correct 32-thread program of plain malloc/free (progs/thread_stress.cc),
// run many times under the preloaded library at every check level, must finish cleanly with
// no report. In the debug lane the check hooks are live, so the checkers run from every free
// while other threads carve, flush and collect the same pages. HAKMEM_PRELOAD_LIB and
// HAKMEM_THREAD_STRESS are compile definitions; HAKMEM_CLEAN_RUNS sets the runs per level.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "subprocess.h"

namespace {

using hakmem_test::CleanEnv;

using hakmem_test::SetEnv;

int runs_per_level() {
  const char* v = std::getenv("HAKMEM_CLEAN_RUNS");
  return v && std::atoi(v) > 0 ? std::atoi(v) : 100;
}

class ThreadedCleanRun : public ::testing::TestWithParam<const char*> {};

TEST_P(ThreadedCleanRun, ThirtyTwoThreadsNeverReport) {
  auto env = CleanEnv();
  SetEnv(env, "LD_PRELOAD", HAKMEM_PRELOAD_LIB);
  SetEnv(env, "HAKMEM_CHECK", GetParam());
  int n = runs_per_level(), failed = 0;
  std::string first;
  for (int i = 0; i < n; ++i) {
    auto r = hakmem_test::Run({HAKMEM_THREAD_STRESS, "32", "600", std::to_string(i + 1)}, env);
    if (r.Ok() && r.err.find("hakmem: ") == std::string::npos) continue;
    if (failed++ == 0) first = "run " + std::to_string(i + 1) + ": " + r.Describe() + "\n" + r.out;
  }
  EXPECT_EQ(failed, 0) << failed << " of " << n << " runs at HAKMEM_CHECK=" << GetParam()
                       << " failed; the first:\n" << first;
}

INSTANTIATE_TEST_SUITE_P(EveryCheckLevel, ThreadedCleanRun, ::testing::Values("0", "1", "2"));

}  // namespace
