// The boundaries of the real tree (tools/common/boundary.h): no box names another's *_detail, includes
// another's headers but its boundary header, or calls another's functions outside its boundary list;
// boundary lists and boundary headers agree; code outside alloc/ sees a box only through its boundary
// and inspection headers. Then each rule firing on a synthetic tree.
#include "common/boundary.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

namespace hm_tools {
namespace {

namespace fs = std::filesystem;

TEST(Boundary, RealTreeKeepsEveryBoundary) {
  BoundaryCheck c = check_boundaries(HAKMEM_SOURCE_DIR, registry_boundary_boxes());
  ASSERT_TRUE(c.scanned) << "no alloc/ under " << HAKMEM_SOURCE_DIR;
  std::string fail;
  for (const auto& v : c.violations) fail += "  " + to_string(v) + "\n";
  EXPECT_TRUE(fail.empty()) << "boundary violations (tools/common/boundary.h has the rules):\n" << fail;
  for (const auto& r : c.reach) {
    std::cout << "inspect " << r.box << " (" << r.header << "): " << r.files.size() << " files outside alloc/\n";
    for (const auto& f : r.files) std::cout << "    " << f << "\n";
  }
}

TEST(Boundary, EveryInspectionHeaderIsDeclaredAndExists) {
  BoundaryCheck c = check_boundaries(HAKMEM_SOURCE_DIR, registry_boundary_boxes());
  for (const auto& v : c.violations) EXPECT_NE(v.rule, "inspect") << to_string(v);
  for (const auto& b : registry_boundary_boxes()) {
    fs::path want = fs::path(HAKMEM_SOURCE_DIR) / "alloc" / b.name / "inspect.h";
    if (fs::exists(want)) {
      EXPECT_EQ(b.inspect, "alloc/" + b.name + "/inspect.h") << b.name;
    }
    if (!b.inspect.empty()) {
      EXPECT_TRUE(fs::exists(fs::path(HAKMEM_SOURCE_DIR) / b.inspect)) << b.inspect;
    }
  }
}

TEST(Boundary, TokenizerDropsCommentsStringsAndDirectives) {
  Tokens t = tokenize("#include \"a/b.h\"  // x(\n/* y( */ int f(\"g(\", 'h');\n#define M(x) k(x)\nauto s = R\"x(q()\")x\";\n");
  ASSERT_EQ(t.includes.size(), 1u);
  EXPECT_EQ(t.includes[0].path, "a/b.h");
  EXPECT_EQ(t.includes[0].line, 1);
  std::string all;
  for (const auto& k : t.tokens) all += k.text + " ";
  EXPECT_EQ(all, "int f ( \"\" , '' ) ; auto s = \"\" ; ");
  EXPECT_EQ(t.tokens[0].line, 2);
}

TEST(Boundary, NamespaceFunctionsAreDeclarationsAtNamespaceScope) {
  const char* src =
      "namespace hm {\n"
      "struct S { int member(); };\n"
      "[[noreturn]] void stop(const char* (*fn)(int));\n"
      "HM_FAST_PATH inline int fast(int x) { return helper(x); }\n"
      "inline constexpr int kX = compute(3);\n"
      "static_assert(check(1));\n"
      "namespace box_detail { int hidden(); }\n"
      "int S::defined() { return 0; }\n"
      "MACRO_CALL(x);\n"
      "}\n"
      "extern \"C\" { void c_api(void); }\n";
  std::vector<FunctionDecl> d = namespace_functions(tokenize(src).tokens);
  std::vector<std::string> names;
  for (const auto& x : d) names.push_back(x.name + (x.detail ? "*" : ""));
  EXPECT_EQ(names, (std::vector<std::string>{"stop", "fast", "hidden*", "c_api"}));
  EXPECT_EQ(d[1].line, 4);
}

// A synthetic tree with two boxes, low and high, and code outside alloc/.
struct Tree {
  fs::path root = fs::temp_directory_path() / ("hm-boundary-" + std::to_string(::getpid()));
  std::vector<BoundaryBox> boxes = {{"low", {"low_get", "low_put"}, "alloc/low/inspect.h"}, {"high", {"high_run"}, ""}};
  Tree() {
    fs::remove_all(root);
    write("alloc/low/low.h",
          "#pragma once\nnamespace hm {\nint low_get();\nvoid low_put(int);\n"
          "namespace low_detail { extern int g_state; int low_walk(); }\n"
          "inline int low_peek() { return low_detail::g_state; }\n}\n");
    write("alloc/low/private.h", "#pragma once\nnamespace hm { int low_secret(); }\n");
    write("alloc/low/inspect.h", "#pragma once\n#include \"low/low.h\"\nnamespace hm::low_detail { extern int g_state; }\n"
                                 "namespace hm { int low_count(); }\n");
    write("alloc/low/low.cc", "#include \"low/private.h\"\nnamespace hm { int low_get() { return low_secret(); } }\n");
    write("alloc/high/high.h", "#pragma once\nnamespace hm { void high_run(); }\n");
    write("alloc/high/high.cc", "#include \"low/low.h\"\nnamespace hm { void high_run() { low_put(low_get()); } }\n");
    write("tests/low_test.cc", "#include \"low/low.h\"\n#include \"low/inspect.h\"\nint t() { return hm::low_detail::g_state + hm::low_count(); }\n");
    write("tests/fixtures/tree/alloc/high/x.cc", "#include \"low/private.h\"\n");  // data, not code
  }
  ~Tree() { fs::remove_all(root); }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel) << text;
  }
  std::vector<std::string> run() {
    std::vector<std::string> out;
    for (const auto& v : check_boundaries(root.string(), boxes).violations) out.push_back(to_string(v));
    return out;
  }
};

// low_peek() is in low.h and not listed: the one violation of the base tree, so every test starts
// by listing it.
TEST(Boundary, SyntheticTreeFindsAnUnlistedInlineFunction) {
  Tree t;
  std::vector<std::string> v = t.run();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], "alloc/low/low.h:6: list: the boundary header declares low_peek(), which low's boundary list does not name");
  t.boxes[0].boundary.push_back("low_peek");
  EXPECT_TRUE(t.run().empty());
  BoundaryCheck c = check_boundaries(t.root.string(), t.boxes);
  ASSERT_EQ(c.reach.size(), 1u);
  EXPECT_EQ(c.reach[0].files, std::vector<std::string>{"tests/low_test.cc"});
}

TEST(Boundary, SyntheticRuleDetail) {
  Tree t;
  t.boxes[0].boundary.push_back("low_peek");
  t.write("alloc/high/walk.cc", "#include \"low/low.h\"\nint w() {\n  return hm::low_detail::low_walk();\n}\n");
  EXPECT_EQ(t.run(), std::vector<std::string>{"alloc/high/walk.cc:3: detail: box high uses low_detail::low_walk"});
}

TEST(Boundary, SyntheticRuleInclude) {
  Tree t;
  t.boxes[0].boundary.push_back("low_peek");
  t.write("alloc/high/peek.cc", "// a\n#include \"low/inspect.h\"\n");
  EXPECT_EQ(t.run(), std::vector<std::string>{
                         "alloc/high/peek.cc:2: include: box high includes \"low/inspect.h\", not low's boundary header low/low.h"});
}

TEST(Boundary, SyntheticRuleCall) {
  Tree t;
  t.boxes[0].boundary.push_back("low_peek");
  // low_secret() (low's private header) and low_count() (its inspection header) are low's, not listed.
  t.write("alloc/high/more.cc", "int m() {\n  return hm::low_secret() + low_count() + obj.low_secret() + p->low_count();\n}\n");
  EXPECT_EQ(t.run(), (std::vector<std::string>{
                         "alloc/high/more.cc:2: call: box high calls low_secret(), declared by box low but not in its boundary list",
                         "alloc/high/more.cc:2: call: box high calls low_count(), declared by box low but not in its boundary list"}));
  // A registry table a box file includes is read as that file's: its macros expand there.
  t.write("alloc/registry/table.def", "// x\nHM_ROW(a, low_secret())\n");
  t.write("alloc/high/more.cc", "#define HM_ROW(n, e) int n() { return e; }\n#include \"registry/table.def\"\n");
  EXPECT_EQ(t.run(), std::vector<std::string>{"alloc/registry/table.def:2: call: box high (through alloc/high/more.cc) calls "
                                              "low_secret(), declared by box low but not in its boundary list"});
  // A function of the box's own with the same name is its own.
  t.write("alloc/high/more.cc", "static int low_secret() { return 1; }\nint m() { return low_secret(); }\n");
  EXPECT_TRUE(t.run().empty());
}

TEST(Boundary, SyntheticRuleListBothWays) {
  Tree t;
  t.boxes[0].boundary.push_back("low_gone");
  t.write("alloc/registry/boxes.def", "// x\nHM_BOX(low, \"low\", 0, \"\", \"low_get low_put low_gone\", \"\")\n");
  EXPECT_EQ(t.run(), (std::vector<std::string>{
                         "alloc/low/low.h:6: list: the boundary header declares low_peek(), which low's boundary list does not name",
                         "alloc/registry/boxes.def:2: list: low's boundary list names low_gone, which alloc/low/low.h does not declare"}));
}

TEST(Boundary, SyntheticRuleOutside) {
  Tree t;
  t.boxes[0].boundary.push_back("low_peek");
  t.write("invariants/low_check.cc", "#include \"low/private.h\"\n#include \"alloc/low/low.h\"\nint c() { return hm::low_detail::low_walk(); }\n");
  t.write("fuzz/high_fuzz.cc", "#include \"high/inspect.h\"\n");
  EXPECT_EQ(t.run(), (std::vector<std::string>{
                         "invariants/low_check.cc:1: outside: includes \"low/private.h\": outside alloc/ only low/low.h and "
                         "alloc/low/inspect.h are open",
                         "invariants/low_check.cc:3: outside: uses low_detail::low_walk, which alloc/low/inspect.h does not declare",
                         "fuzz/high_fuzz.cc:1: outside: includes \"high/inspect.h\": outside alloc/ only high/high.h are open"}));
}

TEST(Boundary, SyntheticRuleInspect) {
  Tree t;
  t.boxes[0].boundary.push_back("low_peek");
  t.write("alloc/high/inspect.h", "#pragma once\n");
  t.boxes[0].inspect = "alloc/low/nothere.h";
  std::vector<std::string> v = t.run();
  EXPECT_NE(std::find(v.begin(), v.end(), "alloc/low/nothere.h:0: inspect: the registry declares low's inspection header "
                                          "alloc/low/nothere.h, which is missing"), v.end());
  EXPECT_NE(std::find(v.begin(), v.end(), "alloc/high/inspect.h:1: inspect: alloc/high/inspect.h is not declared in the "
                                          "registry (alloc/registry/inspect.def)"), v.end());
  EXPECT_NE(std::find(v.begin(), v.end(), "alloc/low/inspect.h:1: inspect: alloc/low/inspect.h is not declared in the "
                                          "registry (alloc/registry/inspect.def)"), v.end());
}

}  // namespace
}  // namespace hm_tools
