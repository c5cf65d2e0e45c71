#include "registry/registry.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

namespace hm::registry {
namespace {

// The deps and the layer rule are checked with the include graph (tests/tools/boxgraph_test.cc).
TEST(Registry, BoxNamesAreUnique) {
  std::set<std::string_view> names;
  for (const auto& b : kBoxes) EXPECT_TRUE(names.insert(b.name).second) << b.name;
}

TEST(Registry, GatesInvariantsAndErrorsNameRealBoxes) {
  std::regex gate("HAKMEM_[A-Z0-9_]+");
  for (const auto& g : kGates) {
    EXPECT_NE(find_box(g.box), nullptr) << g.env;
    EXPECT_TRUE(std::regex_match(std::string(g.env), gate)) << g.env;
  }
  std::regex id("INV-[A-Z]+-[0-9]+");
  std::set<std::string_view> ids;
  for (const auto& i : kInvariants) {
    EXPECT_NE(find_box(i.box), nullptr) << i.id;
    EXPECT_TRUE(std::regex_match(std::string(i.id), id)) << i.id;
    EXPECT_TRUE(ids.insert(i.id).second) << "duplicate " << i.id;
  }
  for (const auto& e : kErrors) {
    EXPECT_NE(find_box(e.box), nullptr) << e.text;
    EXPECT_NE(find_invariant(e.invariant), nullptr) << e.text;
  }
}

TEST(Registry, JsonDumpNamesEveryBoxGateAndInvariant) {
  std::string j = json();
  for (const auto& b : kBoxes) EXPECT_NE(j.find("\"name\":\"" + std::string(b.name) + "\""), std::string::npos);
  for (const auto& g : kGates) EXPECT_NE(j.find(std::string(g.env)), std::string::npos);
  for (const auto& i : kInvariants) EXPECT_NE(j.find(std::string(i.id)), std::string::npos);
}

}  // namespace
}  // namespace hm::registry
