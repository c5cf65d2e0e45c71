// Every C++ operator new/delete form, run in a child process (front_cxx_new_child):
//   System  - without any preload: the expectations hold for libstdc++'s own operators;
//   Preload - with LD_PRELOAD=libhakmem.so: the operators (and malloc & co.) must resolve to
//             libhakmem.so and behave the same.
// HAKMEM_CXX_NEW_CHILD and (when the preload library is built) HAKMEM_PRELOAD_LIB are
// compile definitions set by tests/front/CMakeLists.txt.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "subprocess.h"

namespace {

enum class Mode { kSystem, kPreload };

struct Param {
  Mode mode;
  const char* name;  // child case
};

class CxxNewTest : public ::testing::TestWithParam<Param> {};

TEST_P(CxxNewTest, Case) {
  const Param& p = GetParam();
  std::vector<std::string> argv = {HAKMEM_CXX_NEW_CHILD, p.name};
  std::vector<std::string> env = hakmem_test::CleanEnv();
  if (p.mode == Mode::kPreload) {
#if defined(HAKMEM_PRELOAD_LIB)
    hakmem_test::SetEnv(env, "LD_PRELOAD", HAKMEM_PRELOAD_LIB);
    argv.push_back(std::string("--expect-lib=") + HAKMEM_PRELOAD_LIB);
#else
    FAIL() << "preload variant instantiated without HAKMEM_PRELOAD_LIB";
#endif
  }
  hakmem_test::RunResult r = hakmem_test::Run(argv, env, "", 120);
  EXPECT_TRUE(r.Ok()) << p.name << ": " << r.Describe() << "\nstdout:\n" << r.out;
  EXPECT_NE(r.out.find(std::string(p.name) + ": 0 failure(s)"), std::string::npos)
      << "child did not report completion; stdout:\n"
      << r.out;
}

const char* const kCases[] = {"symbols", "plain",         "array",       "nothrow",
                              "sized",   "aligned",       "aligned_nothrow", "aligned_sized",
                              "new_handler", "usable_size", "cross_thread"};

std::vector<Param> Params(Mode m) {
  std::vector<Param> v;
  for (const char* c : kCases) v.push_back({m, c});
  return v;
}

std::string ParamName(const ::testing::TestParamInfo<Param>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(System, CxxNewTest, ::testing::ValuesIn(Params(Mode::kSystem)),
                         ParamName);
#if defined(HAKMEM_PRELOAD_LIB)
INSTANTIATE_TEST_SUITE_P(Preload, CxxNewTest, ::testing::ValuesIn(Params(Mode::kPreload)),
                         ParamName);
#endif

}  // namespace
