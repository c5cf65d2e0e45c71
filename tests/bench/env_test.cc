#include "runner/env.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "runner/gates.h"

namespace hmb {
namespace {

EnvMap parent_env() {
  return env_from_strings({"PATH=/opt/x/bin:/usr/bin", "HOME=/home/u", "LD_PRELOAD=/evil.so", "HMB_ITERS=1000",
                           "HMB_THREADS=2", "LANG=C.UTF-8", "MALLOC_ARENA_MAX=1", "HMBX=1", "weird"});
}

TEST(EnvFromStrings, SplitsAtFirstEquals) {
  auto e = env_from_strings({"A=b=c", "EMPTY=", "noequals", "=novalue"});
  EXPECT_EQ(e.at("A"), "b=c");
  EXPECT_EQ(e.at("EMPTY"), "");
  EXPECT_EQ(e.size(), 2u);
  EXPECT_EQ(env_to_strings(e), (std::vector<std::string>{"A=b=c", "EMPTY="}));
}

TEST(Scrub, KeepsOnlyPathSettingsAndGates) {
  EnvMap env = scrub_env(parent_env(), {{{"HMB_ITERS", "500"}}, {{"HAKMEM_TCACHE", "0"}}, ""});
  EnvMap want = {{"PATH", "/opt/x/bin:/usr/bin"}, {"HMB_ITERS", "500"}, {"HMB_THREADS", "2"}, {"HAKMEM_TCACHE", "0"}};
  EXPECT_EQ(env, want);  // HOME, LANG, MALLOC_*, LD_PRELOAD and HMBX are gone; the flag overrides HMB_ITERS
}

TEST(Scrub, PreloadOnlyWhenAsked) {
  EXPECT_EQ(scrub_env(parent_env(), {}).count("LD_PRELOAD"), 0u);
  EXPECT_EQ(scrub_env(parent_env(), {{}, {}, "/lib/libhakmem.so"}).at("LD_PRELOAD"), "/lib/libhakmem.so");
}

TEST(Scrub, DefaultPathWhenMissing) {
  EXPECT_EQ(scrub_env({}, {}).at("PATH"), kDefaultPath);
  EXPECT_EQ(scrub_env({{"PATH", ""}}, {}).at("PATH"), kDefaultPath);
}

TEST(Scrub, StrayGatesOfTheParentNeverReachAChild) {
  EnvMap parent = parent_env();
  parent["HAKMEM_PURGE"] = "0";
  EnvMap env = scrub_env(parent, {{}, {{"HAKMEM_TCACHE", "1"}}, ""});
  EXPECT_EQ(env.count("HAKMEM_PURGE"), 0u);
  EXPECT_EQ(env.at("HAKMEM_TCACHE"), "1");
}

TEST(Scrub, RejectsMisplacedNames) {
  EXPECT_THROW(scrub_env({}, {{{"ITERS", "5"}}, {}, ""}), std::invalid_argument);
  EXPECT_THROW(scrub_env({}, {{}, {{"TCACHE", "1"}}, ""}), std::invalid_argument);
}

TEST(StrayGates, NamesEveryHakmemVariable) {
  EnvMap parent = parent_env();
  EXPECT_TRUE(stray_gates(parent).empty());
  EXPECT_EQ(stray_refusal({}), "");
  parent["HAKMEM_TCACHE"] = "0";
  parent["HAKMEM_STATS"] = "1";
  parent["XHAKMEM_NOT"] = "1";
  auto stray = stray_gates(parent);
  EXPECT_EQ(stray, (std::vector<std::string>{"HAKMEM_STATS", "HAKMEM_TCACHE"}));
  std::string msg = stray_refusal(stray);
  EXPECT_NE(msg.find("refusing"), std::string::npos);
  EXPECT_NE(msg.find("HAKMEM_STATS"), std::string::npos);
  EXPECT_NE(msg.find("HAKMEM_TCACHE"), std::string::npos);
  EXPECT_EQ(msg.find("XHAKMEM_NOT"), std::string::npos);
}

TEST(ParseGates, ListsAndErrors) {
  EXPECT_EQ(parse_gates({"HAKMEM_TCACHE=0"}), (EnvMap{{"HAKMEM_TCACHE", "0"}}));
  EXPECT_EQ(parse_gates({"HAKMEM_TCACHE=0,HAKMEM_PURGE=1", "HAKMEM_STATS=1"}),
            (EnvMap{{"HAKMEM_TCACHE", "0"}, {"HAKMEM_PURGE", "1"}, {"HAKMEM_STATS", "1"}}));
  EXPECT_EQ(parse_gates({"HAKMEM_REPORT="}), (EnvMap{{"HAKMEM_REPORT", ""}}));
  EXPECT_THROW(parse_gates({"HAKMEM_TCACHE"}), std::invalid_argument);
  EXPECT_THROW(parse_gates({"TCACHE=1"}), std::invalid_argument);
  EXPECT_THROW(parse_gates({"HAKMEM_=1"}), std::invalid_argument);
  EXPECT_THROW(parse_gates({"HAKMEM_TCACHE=0", "HAKMEM_TCACHE=1"}), std::invalid_argument);
}

TEST(DifferingGates, NamesTheGateUnderTest) {
  EXPECT_EQ(differing_gates({{"HAKMEM_TCACHE", "0"}}, {{"HAKMEM_TCACHE", "1"}}), "HAKMEM_TCACHE");
  EXPECT_EQ(differing_gates({{"HAKMEM_TCACHE", "0"}, {"HAKMEM_PURGE", "1"}},
                            {{"HAKMEM_TCACHE", "1"}, {"HAKMEM_PURGE", "1"}}),
            "HAKMEM_TCACHE");
  EXPECT_EQ(differing_gates({}, {{"HAKMEM_PURGE", "0"}, {"HAKMEM_HARDEN", "1"}}), "HAKMEM_HARDEN,HAKMEM_PURGE");
  EXPECT_EQ(differing_gates({{"HAKMEM_TCACHE", "1"}}, {{"HAKMEM_TCACHE", "1"}}), "");
}

TEST(Gates, ComeFromTheRegistry) {
  EXPECT_EQ(box_of_gate("HAKMEM_TCACHE"), "tcache");
  EXPECT_EQ(box_of_gate("HAKMEM_PURGE"), "segment");
  EXPECT_EQ(box_of_gate("HAKMEM_NO_SUCH_GATE"), "");
  EXPECT_EQ(boxes_of_gates("HAKMEM_TCACHE,HAKMEM_TCACHE_MAX,HAKMEM_PURGE"), "tcache,segment");
  for (const auto& g : known_gates()) EXPECT_EQ(g.env.rfind("HAKMEM_", 0), 0u) << g.env;
}

}  // namespace
}  // namespace hmb
