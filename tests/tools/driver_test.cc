#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace {

std::string run(const std::string& args, int* status) {
  std::string cmd = std::string(HAKMEM_DRIVER) + " " + args + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (f && fgets(buf, sizeof buf, f)) out += buf;
  *status = f ? pclose(f) : -1;
  return out;
}

TEST(Driver, DispatchesToTheSubcommandProgram) {
  int st = 0;
  std::string out = run("registry --json", &st);
  EXPECT_EQ(st, 0);
  EXPECT_EQ(out.rfind("{\"schema\":1,\"boxes\":[", 0), 0u) << out.substr(0, 200);
}

TEST(Driver, UnknownCommandFailsWithUsage) {
  int st = 0;
  std::string out = run("no-such-command", &st);
  EXPECT_NE(st, 0);
  EXPECT_NE(out.find("hakmem: unknown command 'no-such-command'"), std::string::npos) << out;
  out = run("../bin/x", &st);
  EXPECT_NE(st, 0);
  EXPECT_NE(out.find("bad command name"), std::string::npos) << out;
}

}  // namespace
