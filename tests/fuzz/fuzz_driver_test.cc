// tests of fuzz/fuzz_driver.cc (hakmem-fuzz) against a stand-in harness (fake_harness.cc) in a
// scratch source tree: --jobs becomes libFuzzer's fork mode, --changed picks the harnesses of
// the changed boxes and their dependents, a crash is minimised into fuzz/crashes/<harness>/
// with its replay command and a non-zero exit.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Tree {
  fs::path dir, src, build, args;
  explicit Tree(const char* tag) {
    dir = fs::temp_directory_path() / ("hakmem-fuzz-driver-" + std::string(tag) + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    src = dir / "src", build = dir / "build", args = dir / "args.log";
    fs::create_directories(src / "fuzz");
    fs::create_directories(build / "bin");
    for (const char* h : {"os_fuzz", "page_fuzz", "tcache_fuzz", "front_fuzz"}) {
      std::ofstream(src / "fuzz" / (std::string(h) + ".cc")) << "// " << h << "\n";
      fs::copy_file(FAKE_HARNESS, build / "bin" / h);
    }
    git("init -q && " + git_cmd() + "add -A && " + git_cmd() + "commit -qm base");
  }
  ~Tree() { fs::remove_all(dir); }
  std::string git_cmd() const { return "git -C '" + src.string() + "' -c user.email=t@t -c user.name=t "; }
  void git(const std::string& rest) const { ASSERT_EQ(std::system((git_cmd() + rest).c_str()), 0); }
  std::string run(const std::string& opts, int* status, const char* env = "") const {
    std::string cmd = std::string(env) + " FAKE_HARNESS_ARGS='" + args.string() + "' " + HAKMEM_FUZZ +
                      " --src '" + src.string() + "' --build '" + build.string() + "' --budget 10s --progress 0 " +
                      opts + " 2>&1";
    FILE* f = popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    while (f && fgets(buf, sizeof buf, f)) out += buf;
    int st = f ? pclose(f) : -1;
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
  }
  std::string recorded() const {
    std::ifstream in(args);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

TEST(FuzzDriver, JobsRunLibFuzzerForkMode) {
  Tree t("jobs");
  int st = 0;
  std::string out = t.run("--only page_fuzz --jobs 3", &st);
  EXPECT_EQ(st, 0) << out;
  EXPECT_NE(t.recorded().find(" -fork=3 "), std::string::npos) << t.recorded();
  EXPECT_NE(out.find("4000"), std::string::npos) << out;  // the executions in the table
  fs::remove(t.args);
  out = t.run("--only page_fuzz", &st);
  EXPECT_EQ(st, 0) << out;
  EXPECT_EQ(t.recorded().find("-fork="), std::string::npos) << t.recorded();
}

// Long runs are counted in CPU time: the table's cpu(s) column is the harness's user plus system time.
TEST(FuzzDriver, TheTableReportsEachHarnesssCpuSeconds) {
  Tree t("cpu");
  int st = 0;
  std::string out = t.run("--only page_fuzz", &st, "FAKE_HARNESS_BURN_MS=1600");
  EXPECT_EQ(st, 0) << out;
  ASSERT_NE(out.find("cpu(s)"), std::string::npos) << out;
  size_t row = out.rfind("\npage_fuzz ");
  ASSERT_NE(row, std::string::npos) << out;
  long wall = 0, execs = 0;
  double cpu = -1;
  ASSERT_EQ(std::sscanf(out.c_str() + row, "\npage_fuzz %ld %lf %ld", &wall, &cpu, &execs), 3) << out;
  EXPECT_GE(cpu, 1.5) << out;  // printed rounded: 1.6 s of burn shows as 2
  EXPECT_LE(cpu, 5.0) << out;
  EXPECT_EQ(execs, 4000) << out;
}

TEST(FuzzDriver, ChangedRunsTheChangedBoxesAndTheirDependents) {
  Tree t("changed");
  int st = 0;
  std::string out = t.run("--changed HEAD", &st);
  EXPECT_EQ(st, 0) << out;
  EXPECT_NE(out.find("nothing to fuzz"), std::string::npos) << out;
  fs::create_directories(t.src / "alloc/page");
  std::ofstream(t.src / "alloc/page/page.cc") << "changed\n";
  out = t.run("--changed HEAD --dry-run", &st);
  EXPECT_EQ(st, 0) << out;
  EXPECT_NE(out.find("page_fuzz:"), std::string::npos) << out;
  EXPECT_NE(out.find("tcache_fuzz:"), std::string::npos) << out;  // tcache depends on page
  EXPECT_NE(out.find("front_fuzz:"), std::string::npos) << out;
  EXPECT_EQ(out.find("os_fuzz:"), std::string::npos) << out;  // os does not
  out = t.run("--changed no-such-rev", &st);
  EXPECT_EQ(st, 2) << out;
}

// A harness's work directory is locked by the run using it: a second run on the same build
// directory stops before touching it, and runs once the first has let go.
TEST(FuzzDriver, ASecondRunOnTheSameWorkDirectoryIsRefused) {
  Tree t("lock");
  fs::path work = t.build / "fuzz-work" / "page_fuzz";
  fs::create_directories(work);
  int fd = open((work / "lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);  // as a running hakmem fuzz holds it
  std::ofstream(work / "fuzz.log") << "the other run's log\n";
  int st = 0;
  std::string out = t.run("--only os_fuzz,page_fuzz", &st);
  EXPECT_EQ(st, 2) << out;
  EXPECT_NE(out.find("in use by another hakmem fuzz run"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(work / "fuzz.log"));  // left alone
  EXPECT_EQ(t.recorded(), "");                 // no harness started
  close(fd);
  out = t.run("--only os_fuzz,page_fuzz", &st);
  EXPECT_EQ(st, 0) << out;
}

TEST(FuzzDriver, ACrashIsMinimisedWithItsReplayCommandAndFails) {
  Tree t("crash");
  int st = 0;
  std::string out = t.run("--only os_fuzz", &st, "FAKE_HARNESS_CRASH=1");
  EXPECT_EQ(st, 1) << out;
  fs::path kept = t.src / "fuzz/crashes/os_fuzz/crash-0123abcd";
  ASSERT_TRUE(fs::exists(kept)) << out;
  std::ifstream in(kept);
  std::string body;
  std::getline(in, body);
  EXPECT_EQ(body, "min");  // the minimised input, not the raw artifact
  EXPECT_NE(out.find("replay: "), std::string::npos) << out;
  EXPECT_NE(out.find("fuzz/crashes/os_fuzz/crash-0123abcd"), std::string::npos) << out;
}

}  // namespace
