// Start-up order: early_prog links early_lib, whose constructor allocates and frees 40,000
// small blocks before a preloaded libhakmem.so has run its own constructors. Every box's
// state must be valid from the first call (constant initialisation): the program finds every
// invariant intact at level 2, its early blocks untouched, and exits cleanly, at every check
// level. HAKMEM_PRELOAD_LIB and HAKMEM_EARLY_PROG are compile definitions.
#include <gtest/gtest.h>

#include <string>

#include "subprocess.h"

namespace {

using hakmem_test::CleanEnv;

using hakmem_test::SetEnv;

class StartupOrder : public ::testing::TestWithParam<const char*> {};

TEST_P(StartupOrder, StateBuiltBeforeConstructorsSurvives) {
  auto env = CleanEnv();
  SetEnv(env, "LD_PRELOAD", HAKMEM_PRELOAD_LIB);
  SetEnv(env, "HAKMEM_CHECK", GetParam());
  SetEnv(env, "HAKMEM_STATS", "1");
  auto r = hakmem_test::Run({HAKMEM_EARLY_PROG}, env);
  EXPECT_TRUE(r.Ok()) << r.Describe() << "\nstdout: " << r.out;
  EXPECT_NE(r.out.find("startup: ok"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("hakmem: "), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(EveryCheckLevel, StartupOrder, ::testing::Values("0", "1", "2"));

}  // namespace
