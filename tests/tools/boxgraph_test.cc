// The architecture of the real tree (tools/common/boxgraph.h): every include edge between box folders of
// alloc/ is a dep declared in alloc/registry/boxes.def, and every declared dep points to a box of a
// strictly lower layer. Also the checker itself on a box list that breaks the rules.
#include "common/boxgraph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace hm_tools {
namespace {

std::string lines(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "  " + x + "\n";
  return s;
}

TEST(BoxGraph, RealTreeHasOnlyDeclaredIncludeEdges) {
  BoxGraphCheck c = check_box_graph(HAKMEM_SOURCE_DIR, registry_boxes());
  ASSERT_TRUE(c.scanned) << "no alloc/ under " << HAKMEM_SOURCE_DIR;
  std::string list;
  for (const auto& e : c.undeclared) list += "  " + e.file + ":" + std::to_string(e.line) + ": " + e.from + " -> " + e.to + "\n";
  EXPECT_TRUE(c.undeclared.empty()) << "include edges the registry does not declare (add them to the deps in "
                                       "alloc/registry/boxes.def, or remove the include):\n"
                                    << list;
  EXPECT_TRUE(c.missing_folders.empty()) << lines(c.missing_folders);
  EXPECT_TRUE(c.unknown_folders.empty()) << lines(c.unknown_folders);
  EXPECT_FALSE(c.seen.empty());
}

TEST(BoxGraph, RealRegistryKeepsTheLayerRule) {
  std::vector<std::string> unknown;
  std::vector<std::string> problems = layer_problems(registry_boxes(), &unknown);
  EXPECT_TRUE(problems.empty()) << "deps that do not point to a strictly lower layer:\n" << lines(problems);
  EXPECT_TRUE(unknown.empty()) << "deps naming no box:\n" << lines(unknown);
}

TEST(BoxGraph, LayerRuleIsStrict) {
  EXPECT_TRUE(layer_allows(3, 2));
  EXPECT_FALSE(layer_allows(3, 3));
  EXPECT_FALSE(layer_allows(2, 3));
  std::vector<BoxNode> boxes = {{"low", 0, {}}, {"a", 1, {"low", "b"}}, {"b", 1, {"low"}}, {"c", 2, {"a", "nope"}}};
  std::vector<std::string> unknown;
  EXPECT_EQ(layer_problems(boxes, &unknown), std::vector<std::string>{"a (layer 1) -> b (layer 1)"});
  EXPECT_EQ(unknown, std::vector<std::string>{"c -> nope"});
  EXPECT_EQ(ordered_deps(boxes, boxes[1]), (std::vector<std::string>{"b", "low"}));
}

TEST(BoxGraph, FindsAnUndeclaredIncludeInATree) {
  namespace fs = std::filesystem;
  fs::path tree = fs::temp_directory_path() / ("hm-boxgraph-" + std::to_string(::getpid()));
  fs::create_directories(tree / "alloc/low");
  fs::create_directories(tree / "alloc/high/sub");
  fs::create_directories(tree / "alloc/stray");
  std::ofstream(tree / "alloc/low/low.h") << "#pragma once\n#include \"high/high.h\"\n";
  std::ofstream(tree / "alloc/high/sub/high.cc") << "// x\n#include \"low/low.h\"\n#include <vector>\n";
  std::vector<BoxNode> boxes = {{"low", 0, {}}, {"high", 1, {"low"}}};
  BoxGraphCheck c = check_box_graph(tree.string(), boxes);
  ASSERT_EQ(c.undeclared.size(), 1u);
  EXPECT_EQ(c.undeclared[0].from, "low");
  EXPECT_EQ(c.undeclared[0].to, "high");
  EXPECT_EQ(c.undeclared[0].file, "alloc/low/low.h");
  EXPECT_EQ(c.undeclared[0].line, 2);
  EXPECT_EQ(c.seen, (std::vector<std::pair<std::string, std::string>>{{"high", "low"}}));
  EXPECT_EQ(c.unknown_folders, std::vector<std::string>{"stray"});
  fs::remove_all(tree);
}

}  // namespace
}  // namespace hm_tools
