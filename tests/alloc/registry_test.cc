#include "registry/registry.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

namespace hm::registry {
namespace {

TEST(Registry, BoxNamesAreUniqueAndDepsPointDown) {
  std::set<std::string_view> names;
  for (const auto& b : kBoxes) EXPECT_TRUE(names.insert(b.name).second) << b.name;
  for (const auto& b : kBoxes) {
    std::string deps(b.deps);
    std::regex word("[a-z]+");
    for (auto it = std::sregex_iterator(deps.begin(), deps.end(), word); it != std::sregex_iterator(); ++it) {
      const Box* d = find_box(it->str());
      ASSERT_NE(d, nullptr) << b.name << " depends on unknown box " << it->str();
      EXPECT_LT(d->layer, b.layer) << b.name << " -> " << d->name << ": a box sits only on boxes of a lower layer";
    }
  }
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
