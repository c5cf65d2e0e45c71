// The one spawn library (tools/common/spawn.h): capture, exit codes and signals, the deadline, an exact
// environment, PATH lookup against the child's environment, resource limits, appending to a file, ticks.
#include "common/spawn.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace hm_tools {
namespace {

Spawn sh(const std::string& script) {
  Spawn s;
  s.argv = {"/bin/sh", "-c", script};
  return s;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("hm-spawn-test-" + std::to_string(getpid()) + "-" + name))
      .string();
}

TEST(Spawn, CapturesBothStreamsSeparately) {
  SpawnResult r = run(sh("echo out; echo err >&2; printf tail"));
  ASSERT_TRUE(r.started) << r.error;
  EXPECT_EQ(r.out, "out\ntail");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.status, 0);
}

TEST(Spawn, CapturesMoreThanAPipeHolds) {
  SpawnResult r = run(sh("head -c 1000000 /dev/zero | tr '\\0' a; head -c 300000 /dev/zero | tr '\\0' b >&2"));
  EXPECT_EQ(r.out.size(), 1000000u);
  EXPECT_EQ(r.err.size(), 300000u);
}

TEST(Spawn, ExitCodesAndSignals) {
  SpawnResult r = run(sh("exit 7"));
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.status, 7);
  r = run(sh("kill -SEGV $$"));
  EXPECT_EQ(r.signal, SIGSEGV);
  EXPECT_EQ(r.status, 128 + SIGSEGV);
  EXPECT_TRUE(WIFSIGNALED(r.wait_status));
}

TEST(Spawn, DeadlineKillsAndSaysSo) {
  Spawn s = sh("echo started; exec sleep 30");
  s.deadline_s = 0.3;
  SpawnResult r = run(s);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_LT(r.wall_s, 20.0);
  SpawnResult fast = run(sh("exit 0"));
  EXPECT_FALSE(fast.timed_out);
}

TEST(Spawn, ExactEnvironmentOrInherited) {
  Spawn s{.argv = {"/usr/bin/env"}, .inherit_env = false, .env = {"ONLY=1", "OTHER=two words"}};
  SpawnResult r = run(s);
  EXPECT_EQ(r.out, "ONLY=1\nOTHER=two words\n");
  setenv("HM_SPAWN_TEST_INHERITED", "yes", 1);
  r = run(Spawn{.argv = {"/usr/bin/env"}});
  EXPECT_NE(r.out.find("HM_SPAWN_TEST_INHERITED=yes\n"), std::string::npos);
  unsetenv("HM_SPAWN_TEST_INHERITED");
}

TEST(Spawn, LooksUpTheProgramInTheChildsPath) {
  std::string dir = temp_path("bin");
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir + "/hm-spawn-probe");
    f << "#!/bin/sh\necho probe \"$@\"\n";
  }
  std::filesystem::permissions(dir + "/hm-spawn-probe", std::filesystem::perms::owner_all);
  // Found through the child's PATH, which this process does not have.
  SpawnResult r = run(Spawn{.argv = {"hm-spawn-probe", "x"}, .inherit_env = false, .env = {"PATH=" + dir}});
  ASSERT_TRUE(r.started) << r.error;
  EXPECT_EQ(r.out, "probe x\n");
  // Not found through this process's PATH when the child's lacks the directory.
  r = run(Spawn{.argv = {"hm-spawn-probe"}, .inherit_env = false, .env = {"PATH=/nonexistent"}});
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.error.find("not found"), std::string::npos) << r.error;
  std::filesystem::remove_all(dir);
}

TEST(Spawn, ReportsWhatKeptItFromStarting) {
  SpawnResult r = run(Spawn{.argv = {"/nonexistent/program"}});
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.error.find("exec"), std::string::npos) << r.error;
  r = run(Spawn{.argv = {"/bin/true"}, .cwd = "/nonexistent-dir"});
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.error.find("chdir"), std::string::npos) << r.error;
}

TEST(Spawn, WorkingDirectoryAndStdin) {
  SpawnResult r = run(Spawn{.argv = {"/bin/pwd"}, .cwd = "/"});
  EXPECT_EQ(r.out, "/\n");
  r = run(sh("cat; echo end"));  // stdin is /dev/null: cat ends at once
  EXPECT_EQ(r.out, "end\n");
}

TEST(Spawn, AddressSpaceLimitAppliesInTheChildOnly) {
  // 64 MiB of address space cannot hold a 256 MiB buffer: the allocation fails in the child.
  Spawn s = sh("x=$(head -c 268435456 /dev/zero | tr '\\0' a); echo ${#x}");
  s.limits = {{RLIMIT_AS, 64ull << 20, 64ull << 20}};
  SpawnResult r = run(s);
  ASSERT_TRUE(r.started) << r.error;
  EXPECT_NE(r.status, 0);
  Spawn ok = sh("ulimit -v");
  ok.limits = {{RLIMIT_AS, 64ull << 20, 64ull << 20}};
  EXPECT_EQ(run(ok).out, "65536\n");
  rlimit mine{};
  getrlimit(RLIMIT_AS, &mine);
  EXPECT_NE(mine.rlim_cur, 64ull << 20);
}

TEST(Spawn, AppendsBothStreamsToAFile) {
  std::string log = temp_path("append.log");
  {
    std::ofstream f(log);
    f << "before\n";
  }
  Spawn s = sh("echo one; echo two >&2");
  s.out = s.err = Output::Append;
  s.append_to = log;
  SpawnResult r = run(s);
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.out.empty());
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "before\none\ntwo\n");
  std::filesystem::remove(log);
}

TEST(Spawn, TicksWhileItRuns) {
  Spawn s = sh("sleep 1");
  s.out = s.err = Output::Null;
  s.tick_s = 0.2;
  std::vector<double> at;
  s.tick = [&](double t) { at.push_back(t); };
  SpawnResult r = run(s);
  EXPECT_EQ(r.status, 0);
  ASSERT_GE(at.size(), 2u);
  for (size_t i = 1; i < at.size(); ++i) EXPECT_GT(at[i], at[i - 1]);
  EXPECT_GE(at[0], 0.2);
}

TEST(Spawn, ReportsTheChildsUsage) {
  SpawnResult big = run(sh("head -c 67108864 /dev/zero | tr '\\0' x | sort > /dev/null"));
  SpawnResult small = run(sh("exit 0"));
  EXPECT_GT(big.maxrss_kb, 32 * 1024.0);
  EXPECT_GT(big.minor_faults, 4 * small.minor_faults);
  EXPECT_GT(big.wall_s, 0.0);
}

}  // namespace
}  // namespace hm_tools
