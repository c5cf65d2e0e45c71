// The heap-misuse suite: every case of misuse_cases.cc runs under glibc and under each hakmem
// mode of this build (release build: the drop-in, and HAKMEM_HARDEN=1; debug build: the drop-in
// at HAKMEM_CHECK=2), and the test prints the detection table (kept in docs/security.md).
// A misuse case is detected when the program is aborted (SIGABRT); under hakmem the abort must
// come with the one-line report ("hakmem: <kind> of 0x... (box ..., INV-...)"). An API case
// passes when the call returns what glibc 2.36 documents. Targets: the release drop-in detects
// at least as many cases as glibc; HAKMEM_CHECK=2 detects every double, invalid, interior and
// misaligned free and every overflow and underflow of 8 bytes or more.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "../preload/subprocess.h"

namespace {

using hakmem_test::CleanEnv;
using hakmem_test::SetEnv;

struct Case {
  const char* name;
  const char* klass;
  bool api;  // an API case: exit 0 means right
};

constexpr Case kCases[] = {
    {"double_free_small", "double free", false},
    {"double_free_small_between", "double free", false},
    {"double_free_small_after_flush", "double free", false},
    {"double_free_medium", "double free", false},
    {"double_free_large", "double free", false},
    {"double_free_thread", "double free", false},
    {"invalid_free_stack", "invalid free", false},
    {"invalid_free_global", "invalid free", false},
    {"invalid_free_mmap", "invalid free", false},
    {"invalid_free_alloca", "invalid free", false},
    {"misaligned_free_small", "invalid free", false},
    {"interior_free_small", "invalid free", false},
    {"interior_free_large", "invalid free", false},
    {"overflow_small_8", "overflow", false},
    {"overflow_small_32", "overflow", false},
    {"overflow_medium_8", "overflow", false},
    {"overflow_large_8", "overflow", false},
    {"overflow_large_32", "overflow", false},
    {"underflow_small_8", "underflow", false},
    {"underflow_small_32", "underflow", false},
    {"underflow_large_8", "underflow", false},
    {"underflow_large_32", "underflow", false},
    {"new_array_delete", "new[]/delete mismatch", false},
    {"huge_malloc", "impossible size", true},
    {"huge_calloc", "impossible size", true},
    {"huge_realloc", "impossible size", true},
    {"bad_alignment", "impossible size", true},
    {"exec_heap", "executable heap", true},
};

struct Mode {
  const char* name;
  bool hakmem;
  std::vector<std::pair<const char*, const char*>> env;
};

std::vector<Mode> modes() {
#if HAKMEM_DEBUG
  return {{"glibc", false, {}}, {"HAKMEM_CHECK=2", true, {{"HAKMEM_CHECK", "2"}}}};
#else
  return {{"glibc", false, {}}, {"release", true, {}}, {"HAKMEM_HARDEN=1", true, {{"HAKMEM_HARDEN", "1"}}}};
#endif
}

enum class Outcome { kDetected, kMissed, kCrash, kPass, kFail };
const char* mark(Outcome o) {
  switch (o) {
    case Outcome::kDetected: return "caught";
    case Outcome::kMissed: return "-";
    case Outcome::kCrash: return "crash";
    case Outcome::kPass: return "ok";
    case Outcome::kFail: return "WRONG";
  }
  return "?";
}

Outcome run_case(const Case& c, const Mode& m, std::string* report) {
  auto env = CleanEnv();
  if (m.hakmem) SetEnv(env, "LD_PRELOAD", HAKMEM_PRELOAD_LIB);
  for (auto& [k, v] : m.env) SetEnv(env, k, v);
  auto r = hakmem_test::Run({HAKMEM_MISUSE_CASES, c.name}, env, "", 60);
  if (c.api) return r.Ok() ? Outcome::kPass : Outcome::kFail;
  if (r.Ok()) return Outcome::kMissed;
  if (r.signal != SIGABRT) return Outcome::kCrash;
  if (!m.hakmem) return Outcome::kDetected;
  size_t at = r.err.find("hakmem: ");
  if (at == std::string::npos) return Outcome::kCrash;  // an abort without the report
  *report = r.err.substr(at, r.err.find('\n', at) - at);
  return Outcome::kDetected;
}

TEST(Security, DetectionTable) {
  auto ms = modes();
  std::map<std::string, std::map<std::string, Outcome>> got;
  std::map<std::string, int> caught;
  std::string table = "| case | class |";
  for (auto& m : ms) table += std::string(" ") + m.name + " |";
  table += "\n|---|---|";
  for (size_t i = 0; i < ms.size(); ++i) table += "---|";
  table += "\n";
  for (const Case& c : kCases) {
    table += std::string("| ") + c.name + " | " + c.klass + " |";
    for (auto& m : ms) {
      std::string report;
      Outcome o = run_case(c, m, &report);
      got[c.name][m.name] = o;
      if (o == Outcome::kDetected || o == Outcome::kPass) caught[m.name]++;
      table += std::string(" ") + mark(o) + " |";
      if (m.hakmem) {
        EXPECT_NE(o, Outcome::kCrash) << c.name << " under " << m.name << ": a crash without the one-line report";
        EXPECT_NE(o, Outcome::kFail) << c.name << " under " << m.name;
        if (o == Outcome::kDetected) EXPECT_NE(report.find(" (box "), std::string::npos) << report;
      }
    }
    table += "\n";
  }
  table += "| **caught or right** | |";
  for (auto& m : ms) table += " **" + std::to_string(caught[m.name]) + "** |";
  std::printf("\n%s\n", table.c_str());

  for (auto& m : ms) {
    if (!m.hakmem) continue;
#if HAKMEM_DEBUG
    for (const Case& c : kCases) {
      std::string k = c.klass;
      bool must = k == "double free" || k == "invalid free" || k == "overflow" || k == "underflow";
      if (must) EXPECT_EQ(got[c.name][m.name], Outcome::kDetected) << c.name << " under " << m.name;
    }
#else
    EXPECT_GE(caught[m.name], caught["glibc"]) << m.name << " catches fewer cases than glibc";
#endif
  }
}

}  // namespace
