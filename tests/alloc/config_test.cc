#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "registry/registry.h"

namespace hm {
namespace {

TEST(Config, DefaultsAreTheRegistryDefaults) {
  Config cfg;
  EXPECT_EQ(cfg.stats, 0);
  EXPECT_EQ(cfg.tcache, 1);
  for (const auto& g : registry::kGates) {
    if (g.type != registry::GateType::Int) continue;
    EXPECT_GE(g.def, g.min) << g.env;
    EXPECT_LE(g.def, g.max) << g.env;
  }
}

TEST(Config, AcceptsValuesInRange) {
  Config cfg;
  const char* why = "unset";
  EXPECT_TRUE(gate_value(cfg, "HAKMEM_TCACHE_MAX", "128", &why));
  EXPECT_EQ(cfg.tcache_max, 128);
  EXPECT_EQ(why, nullptr);
  EXPECT_TRUE(gate_value(cfg, "HAKMEM_REPORT", "/tmp/r.json", &why));
  EXPECT_STREQ(cfg.report_path, "/tmp/r.json");
}

TEST(Config, RejectsBadValuesWithAReason) {
  Config cfg;
  const char* why = nullptr;
  EXPECT_FALSE(gate_value(cfg, "HAKMEM_CHECK", "3", &why));
  EXPECT_NE(std::string(why).find("[0, 2]"), std::string::npos);
  EXPECT_FALSE(gate_value(cfg, "HAKMEM_STATS", "yes", &why));
  EXPECT_FALSE(gate_value(cfg, "HAKMEM_STATS", "", &why));
  EXPECT_EQ(cfg.stats, 0);
  EXPECT_FALSE(gate_value(cfg, "HAKMEM_NOPE", "1", &why));
  EXPECT_STREQ(why, "not a hakmem gate");
}

// Runs /bin/true under the drop-in library with extra environment; returns stderr + exit status.
// A sanitizer build's library cannot be preloaded into a program without the sanitizer runtime.
#if defined(HAKMEM_ASAN) || defined(HAKMEM_TSAN)
#define SKIP_UNDER_SANITIZER() GTEST_SKIP() << "preloading a sanitizer-built library is not possible"
#else
#define SKIP_UNDER_SANITIZER() (void)0
#endif
std::string run_true_with(const std::string& env) {
  std::string cmd = "env " + env + " LD_PRELOAD=" HAKMEM_PRELOAD_LIB " /bin/true 2>&1; echo rc=$?";
  FILE* f = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (f && fgets(buf, sizeof buf, f)) out += buf;
  if (f) pclose(f);
  return out;
}

TEST(ConfigProcess, MalformedGateAbortsAtStartUpNamingIt) {
  SKIP_UNDER_SANITIZER();
  std::string out = run_true_with("HAKMEM_TCACHE_MAX=0");
  EXPECT_NE(out.find("hakmem: HAKMEM_TCACHE_MAX: value is not an integer in [1, 4096]"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=134"), std::string::npos) << out;
}

TEST(ConfigProcess, UnknownGateWarnsOnceWithASuggestion) {
  SKIP_UNDER_SANITIZER();
  std::string out = run_true_with("HAKMEM_TCACHEMAX=5");
  EXPECT_NE(out.find("hakmem: warning: HAKMEM_TCACHEMAX is not a hakmem gate and is ignored (did you mean "
                     "HAKMEM_TCACHE_MAX?)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("rc=0"), std::string::npos) << out;
}

}  // namespace
}  // namespace hm
