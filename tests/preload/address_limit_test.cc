// The drop-in library under an address-space limit (its small .bss: footprint_test.cc): real
// programs run under RLIMIT_AS = 150000 KiB (`ulimit -v 150000`) with it preloaded, as they do
// without it. A library that cannot be mapped
// under the limit is skipped by the dynamic loader with a message on stderr, so every run
// checks stderr too, and one reads its own /proc/self/maps to show the library was loaded.
// HAKMEM_PRELOAD_LIB and HAKMEM_AS_LIMIT are compile definitions (tests/preload/CMakeLists.txt).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "subprocess.h"

namespace {

namespace fs = std::filesystem;
using hakmem_test::RunResult;

constexpr const char* kLimitKiB = "150000";

class AddressLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "hakmem-aslimit-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    for (const char* name : {"alpha", "beta", "gamma.txt"}) std::ofstream(dir_ / name) << name;
    env_ = hakmem_test::CleanEnv();
#ifdef HAKMEM_PRELOAD_CHECK_LEVEL
    hakmem_test::SetEnv(env_, "HAKMEM_CHECK", HAKMEM_PRELOAD_CHECK_LEVEL);
#endif
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // The program at `argv` under the limit, without (preload false) or with libhakmem.so.
  RunResult Limited(bool preload, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {HAKMEM_AS_LIMIT, kLimitKiB, preload ? HAKMEM_PRELOAD_LIB : "-"});
    return hakmem_test::Run(argv, env_, dir_.string());
  }
  std::string Need(const char* name) {
    std::string p = hakmem_test::FindInPath(name);
    if (p.empty()) ADD_FAILURE() << name << " is not installed";
    return p;
  }
  fs::path dir_;
  std::vector<std::string> env_;
};

TEST_F(AddressLimitTest, LsListsTheDirectory) {
  std::string ls = Need("ls");
  for (bool preload : {false, true}) {
    RunResult r = Limited(preload, {ls, "-1", dir_.string()});
    EXPECT_TRUE(r.Ok()) << (preload ? "with" : "without") << " libhakmem.so: " << r.Describe();
    EXPECT_EQ(r.out, "alpha\nbeta\ngamma.txt\n") << (preload ? "with" : "without") << " libhakmem.so";
    EXPECT_EQ(r.err, "") << (preload ? "with" : "without") << " libhakmem.so";
  }
}

TEST_F(AddressLimitTest, PythonStartsAndExits) {
  std::string py = Need("python3");
  for (bool preload : {false, true}) {
    RunResult r = Limited(preload, {py, "-c", "pass"});
    EXPECT_TRUE(r.Ok()) << (preload ? "with" : "without") << " libhakmem.so: " << r.Describe();
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "") << (preload ? "with" : "without") << " libhakmem.so";
    r = Limited(preload, {py, "-c", "print(sorted({str(i): i for i in range(50000)}.values())[-1])"});
    EXPECT_TRUE(r.Ok()) << (preload ? "with" : "without") << " libhakmem.so: " << r.Describe();
    EXPECT_EQ(r.out, "49999\n");
  }
}

// The preload is in effect under the limit: the program finds libhakmem.so among its mappings.
TEST_F(AddressLimitTest, TheLibraryIsLoaded) {
  std::string cat = Need("cat");
  RunResult r = Limited(true, {cat, "/proc/self/maps"});
  ASSERT_TRUE(r.Ok()) << r.Describe();
  EXPECT_NE(r.out.find(fs::path(HAKMEM_PRELOAD_LIB).filename().string()), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

// The limit holds: a request beyond it fails cleanly (Python's MemoryError: malloc returned NULL
// with ENOMEM), with and without the library, and the program goes on to exit normally.
TEST_F(AddressLimitTest, ARequestBeyondTheLimitFailsCleanly) {
  std::string py = Need("python3");
  const char* prog =
      "try:\n  b = bytearray(400 << 20)\n  print('allocated')\nexcept MemoryError:\n  print('MemoryError')\n"
      "b = bytearray(1 << 20)\nprint(len(b))\n";
  for (bool preload : {false, true}) {
    RunResult r = Limited(preload, {py, "-c", prog});
    EXPECT_TRUE(r.Ok()) << (preload ? "with" : "without") << " libhakmem.so: " << r.Describe();
    EXPECT_EQ(r.out, "MemoryError\n1048576\n") << (preload ? "with" : "without") << " libhakmem.so";
  }
}

}  // namespace
