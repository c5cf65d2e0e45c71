// `hakmem run`: exit status passed through, and on a failure the path of the report and
// its first line.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace {

struct Result {
  int status;
  std::string out;
};

Result run(const std::string& args) {
  std::string cmd = std::string(HAKMEM_RUN_BIN) + " --build " + HAKMEM_BUILD_DIR + " " + args + " 2>&1";
  Result r{-1, {}};
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  int st = pclose(f);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

TEST(HakmemRun, CleanProgramPassesAtLevelTwo) {
  Result r = run(std::string("--check=2 -- ") + HAKMEM_RUN_CHILD + " ok");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.find("hakmem: "), std::string::npos) << r.out;  // no report
}

// At the end, one line says what the checks covered (the debug build writes the summary).
TEST(HakmemRun, SaysWhatTheChecksCovered) {
  Result r = run(std::string("--check=2 -- ") + HAKMEM_RUN_CHILD + " ok");
  EXPECT_EQ(r.status, 0) << r.out;
#if HAKMEM_DEBUG
  EXPECT_NE(r.out.find("hakmem run: level 2 checks: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" full walks at thread exit, trim and process exit (1 process)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("hakmem run: level 2 checks: 0 checks"), std::string::npos) << r.out;
#else
  EXPECT_NE(r.out.find("no check summary"), std::string::npos) << r.out;
#endif
}

TEST(HakmemRun, ExitStatusIsPassedThrough) {
  Result r = run(std::string("--check=1 -- ") + HAKMEM_RUN_CHILD + " ok 7");
  EXPECT_EQ(r.status, 7) << r.out;
}

TEST(HakmemRun, FailureNamesTheReportAndItsFirstLine) {
  std::string report = testing::TempDir() + "hakmem-run-test-report.json";
  Result r = run("--check=2 --report " + report + " -- " + HAKMEM_RUN_CHILD + " double");
  EXPECT_EQ(r.status, 128 + 6) << r.out;  // SIGABRT
  EXPECT_NE(r.out.find("hakmem: double free of 0x"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("report: " + report), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hakmem run: {\"hakmem_report\":1,\"type\":\"misuse\""), std::string::npos) << r.out;
  std::ifstream f(report);
  std::string first;
  std::getline(f, first);
  EXPECT_EQ(first.rfind("{\"hakmem_report\":1", 0), 0u) << first;
  std::remove(report.c_str());
}

}  // namespace
