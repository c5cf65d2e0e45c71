// The box graph: the linked registry, the include check over the real alloc/ tree, the checker on fixture
// trees (one with a seeded undeclared edge), header signatures, ledger and callgrind parsing.
#include "common.h"
#include "graph.h"
#include "registry/registry.h"

#include <tuple>

using namespace review_test;
using namespace hm::review;

namespace {

Registry fixture_registry() { return parse_registry(read_file(fixture("registry.json")), "fixture"); }

}  // namespace

// The kit reads the linked registry tables directly; they say what the registry's JSON dump says.
TEST(LinkedRegistry, SameAsItsJsonDump) {
  Registry t = linked_registry("linked");
  Registry j = parse_registry(hm::registry::json(), "dump");
  ASSERT_EQ(t.boxes.size(), j.boxes.size());
  for (size_t i = 0; i < t.boxes.size(); ++i) {
    const Box &a = t.boxes[i], &b = j.boxes[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.layer, b.layer);
    EXPECT_EQ(a.job, b.job);
    EXPECT_EQ(a.boundary, b.boundary);
    EXPECT_EQ(a.deps, b.deps);
    EXPECT_EQ(a.gates, b.gates);
    EXPECT_EQ(a.invariants, b.invariants);
  }
  ASSERT_EQ(t.gates.size(), j.gates.size());
  for (size_t i = 0; i < t.gates.size(); ++i) {
    const Gate &a = t.gates[i], &b = j.gates[i];
    EXPECT_EQ(std::tie(a.name, a.box, a.type, a.def, a.description, a.min, a.max),
              std::tie(b.name, b.box, b.type, b.def, b.description, b.min, b.max));
  }
  ASSERT_EQ(t.invariants.size(), j.invariants.size());
  for (size_t i = 0; i < t.invariants.size(); ++i)
    EXPECT_EQ(std::tie(t.invariants[i].id, t.invariants[i].box, t.invariants[i].cost, t.invariants[i].text),
              std::tie(j.invariants[i].id, j.invariants[i].box, j.invariants[i].cost, j.invariants[i].text));
  ASSERT_EQ(t.errors.size(), j.errors.size());
  for (size_t i = 0; i < t.errors.size(); ++i)
    EXPECT_EQ(std::tie(t.errors[i].kind, t.errors[i].box, t.errors[i].invariant),
              std::tie(j.errors[i].kind, j.errors[i].box, j.errors[i].invariant));
}

// The real tree's include and layer check is tests/tools/boxgraph_test.cc; the kit's graph over the linked
// registry reports what that check reports.
TEST(IncludeGraph, RealTreeAsTheToolsCheckSeesIt) {
  GraphCheck c = check_graph(REVIEW_SOURCE_DIR, linked_registry("linked"));
  hm_tools::BoxGraphCheck t = hm_tools::check_box_graph(REVIEW_SOURCE_DIR, hm_tools::registry_boxes());
  ASSERT_TRUE(c.scanned) << "no alloc/ under " << REVIEW_SOURCE_DIR;
  EXPECT_EQ(c.undeclared.size(), t.undeclared.size());
  EXPECT_EQ(c.seen, t.seen);
  EXPECT_EQ(c.unseen, t.unseen);
  EXPECT_EQ(c.layer_problems, t.layer_problems);
  EXPECT_EQ(c.unknown_deps, t.unknown_deps);
}

TEST(IncludeGraph, CleanFixtureTree) {
  GraphCheck c = check_graph(fixture("tree"), fixture_registry());
  EXPECT_TRUE(c.scanned);
  EXPECT_TRUE(c.undeclared.empty());
  EXPECT_TRUE(c.missing_folders.empty());
  EXPECT_TRUE(c.unknown_folders.empty());
  EXPECT_NE(std::find(c.seen.begin(), c.seen.end(), std::make_pair(std::string("front"), std::string("tcache"))),
            c.seen.end());
  EXPECT_NE(std::find(c.unseen.begin(), c.unseen.end(), std::make_pair(std::string("front"), std::string("page"))),
            c.unseen.end());
}

TEST(IncludeGraph, SeededUndeclaredEdgeIsFound) {
  GraphCheck c = check_graph(fixture("tree-undeclared"), fixture_registry());
  ASSERT_EQ(c.undeclared.size(), 1u);
  EXPECT_EQ(c.undeclared[0].from, "page");
  EXPECT_EQ(c.undeclared[0].to, "tcache");
  EXPECT_EQ(c.undeclared[0].file, "alloc/page/page.cc");
  EXPECT_EQ(c.undeclared[0].line, 5);
  EXPECT_NE(graph_text(fixture_registry(), c).find("page -> tcache  (alloc/page/page.cc:5)"), std::string::npos);
  EXPECT_NE(graph_dot(fixture_registry(), c).find("\"page\" -> \"tcache\" [color=red"), std::string::npos);
}

TEST(IncludeGraph, CliCheckFailsOnSeededEdge) {
  std::string tmp = temp_dir("graph-check");
  CliRun bad = review("graph --check --registry " + fixture("registry.json") + " --tree " + fixture("tree-undeclared") +
                       " --repo " + src(""),
                   tmp);
  EXPECT_EQ(bad.rc, 1);
  EXPECT_NE(bad.err.find("alloc/page/page.cc:5: include edge page -> tcache is not declared"), std::string::npos)
      << bad.err;
  CliRun good = review("graph --check --registry " + fixture("registry.json") + " --tree " + fixture("tree") +
                        " --repo " + src(""),
                    tmp);
  EXPECT_EQ(good.rc, 0) << good.err;
}

TEST(IncludeGraph, LayerRuleIsReported) {
  GraphCheck c = check_graph(fixture("tree"), fixture_registry());
  // remote (layer 3) depends on page (layer 3) in the fixture registry.
  EXPECT_NE(std::find(c.layer_problems.begin(), c.layer_problems.end(), "remote (layer 3) -> page (layer 3)"),
            c.layer_problems.end());
}

TEST(Signatures, FromBoxHeaders) {
  Signature s = find_signature(fixture("tree"), "page", "page_put");
  EXPECT_EQ(s.ret, "void");
  EXPECT_EQ(s.args, "Page* page, void* block");
  EXPECT_EQ(s.header, "alloc/page/page.h");
  s = find_signature(fixture("tree"), "tcache", "tcache_pop");
  EXPECT_EQ(s.ret, "void*");
  EXPECT_EQ(s.args, "Heap* heap, std::uint32_t cls");
  s = find_signature(fixture("tree"), "sizeclass", "class_count");
  EXPECT_EQ(s.ret, "std::uint32_t");
  EXPECT_EQ(s.args, "void");
  s = find_signature(fixture("tree"), "segment", "page_of");
  EXPECT_EQ(s.ret, "Page*");
  EXPECT_EQ(find_signature(fixture("tree"), "front", "no_such_function").ret, "");
}

TEST(Ledger, EntriesSettingsAndBadLines) {
  Ledger l = load_ledger(fixture("ledger.jsonl"), "bench/ledger/ledger.jsonl");
  EXPECT_TRUE(l.present);
  EXPECT_EQ(l.entries.size(), 7u);
  ASSERT_EQ(l.problems.size(), 1u);
  EXPECT_EQ(l.problems[0].rfind("line 4:", 0), 0u);
  ASSERT_NE(l.latest_sbs("mixed"), nullptr);
  EXPECT_EQ(l.latest_sbs("mixed")->line, 7);
  EXPECT_EQ(l.latest_sbs("small")->line, 6);
  EXPECT_EQ(l.latest_sbs("larson"), nullptr);
  Ledger none = load_ledger(fixture("no-such-ledger.jsonl"), "bench/ledger/ledger.jsonl");
  EXPECT_FALSE(none.present);
}

TEST(Policy, RunsAndThresholdsComeFromThePolicyFile) {
  Policy p = load_policy(fixture("policy.json"), "tests/review/fixtures/policy.json");
  EXPECT_EQ(p.runs, 10);
  EXPECT_EQ(p.min_runs, 5);
  EXPECT_DOUBLE_EQ(p.go_pct, 1.0);
  EXPECT_DOUBLE_EQ(p.min_threshold_pct, 0.5);
  EXPECT_EQ(p.source, "`tests/review/fixtures/policy.json`");
  Policy d = load_policy(fixture("no-such-policy.json"), "x");
  EXPECT_EQ(d.source, "the review kit's built-in policy");
  std::string tmp = temp_dir("policy");
  write_file(tmp + "/p.json", R"({"runs": 3, "min_runs": 5, "go_pct": 1, "nogo_pct": -1, "guard_pct": -1, "min_threshold_pct": 0.5})");
  EXPECT_THROW(load_policy(tmp + "/p.json", "p.json"), std::runtime_error);  // runs below min_runs
  write_file(tmp + "/p.json", R"({"runs": 10})");
  EXPECT_THROW(load_policy(tmp + "/p.json", "p.json"), std::runtime_error);
  std::filesystem::remove_all(tmp);
}

TEST(Hotspots, CallgrindMappedToBoxes) {
  Hotspots h = parse_callgrind(read_file(fixture("callgrind.txt")), fixture_registry(), "callgrind.txt");
  EXPECT_DOUBLE_EQ(h.total, 1e9);
  ASSERT_EQ(h.per_box.size(), 4u);
  EXPECT_EQ(h.per_box[0], std::make_pair(std::string("front"), 290e6));
  EXPECT_EQ(h.per_box[1], std::make_pair(std::string("tcache"), 230e6));
  EXPECT_DOUBLE_EQ(h.outside, 350e6);
}

TEST(Topic, RejectsUnknownBuiltinAndMissingCandidates) {
  EXPECT_THROW(parse_topic(R"({"name":"x","builtins":["Q9"]})", "x.json"), std::runtime_error);
  EXPECT_THROW(parse_topic(R"({"name":"x","builtins":["Q1"]})", "x.json"), std::runtime_error);
  EXPECT_THROW(parse_topic(R"({"name":"Bad Name","builtins":[]})", "x.json"), std::runtime_error);
  Topic t = parse_topic(R"({"builtins":["Q2"]})", "review/topics/my-topic.json");
  EXPECT_EQ(t.name, "my-topic");
  EXPECT_EQ(t.profile, "mixed");
}

TEST(Topic, PurposesStateNoFigureByHand) {
  std::string base = R"({"name": "t", "builtins": [], "purpose": [PURPOSE]})";
  auto with = [&](const std::string& purpose) {
    std::string j = base;
    j.replace(j.find("PURPOSE"), 7, purpose);
    return j;
  };
  EXPECT_NO_THROW(parse_topic(with(R"("Lead ring:50 at 2 threads on Mixed 16-1024B; today {ledger:12}.")"), "t.json"));
  for (const char* hand : {"the gap is ~18%", "1.1x of the leanest peer", "from 149 to 77 instructions per op",
                           "within 32 MiB", "575K reads"}) {
    try {
      parse_topic(with("\"" + std::string(hand) + "\""), "t.json");
      ADD_FAILURE() << "accepted: " << hand;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("by hand; cite the ledger line"), std::string::npos) << e.what();
    }
  }
}

TEST(Hotspots, WithoutDebugInformationBoundaryFunctionsMapToTheirBox) {
  Registry reg = fixture_registry();
  std::string text =
      "1,000 (100.0%)  PROGRAM TOTALS\n"
      "  600 (60.0%)  ???:hm_malloc [/x/hakmem-bench]\n"
      "  300 (30.0%)  ???:hmb::run_slots<hmb::HakmemPolicy>(unsigned long) [/x/hakmem-bench]\n"
      "  100 (10.0%)  ./elf/dl-lookup.c:do_lookup_x [/lib/ld.so]\n";
  Hotspots h = parse_callgrind(text, reg, "x.txt");
  ASSERT_EQ(h.per_box.size(), 1u);
  EXPECT_EQ(h.per_box[0].first, "front");
  EXPECT_DOUBLE_EQ(h.per_box[0].second, 600);
  EXPECT_DOUBLE_EQ(h.outside, 400);
}
