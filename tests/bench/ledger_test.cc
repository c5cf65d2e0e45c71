#include "runner/ledger.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <unistd.h>

namespace hmb {
namespace {

using nlohmann::json;

Provenance prov(const std::string& profile) {
  Provenance p;
  p.date = "2026-11-25T21:00:00Z";
  p.commit = "0123456789abcdef0123456789abcdef01234567";
  p.dirty = true;
  p.preset = "release";
  p.binary_sha256 = std::string(64, 'a');
  p.cpu = "AMD EPYC";
  p.cores = 2;
  p.command = "hakmem-ab --profile " + profile + " --a HAKMEM_TCACHE=0 --b HAKMEM_TCACHE=1";
  p.env = {{"PATH", "/usr/bin"}, {"HMB_ITERS", "1000"}};
  p.profile = profile;
  return p;
}

AbEntry sample_ab() {
  AbEntry e;
  e.prov = prov("mixed");
  e.box = "tcache";
  e.gate = "HAKMEM_TCACHE";
  e.a = {{{"HAKMEM_TCACHE", "0"}}, {100.0, 110.0, 90.0}, 0};
  e.b = {{{"HAKMEM_TCACHE", "1"}}, {103.0, 111.1, 91.8}, 0};
  e.guards = {{"small", 0.995, true}};
  e.pair_rtt_ns = {{110, 120}, {480, 500}, {95, 100}};
  finish_ab(e);
  return e;
}

SbsEntry sample_sbs() {
  SbsEntry e;
  e.prov = prov("ring:50");
  e.prov.metric = "cpu";
  e.runs = 3;
  e.results = {{"hakmem", "inprocess", 4e7, 25.0, 8000, 7000, std::nullopt},
               {"jemalloc", "preload", 5e7, 20.0, 9000, 8500, 61.5}};
  e.results[1].sys_s = 0.25, e.results[1].minor_faults = 1200, e.results[1].cpu_ns_per_op = 31.5;
  e.results[1].steady_ops_per_s = 5.2e7, e.results[1].steady_runs = 2;
  return e;
}

ProgramsEntry sample_programs() {
  ProgramsEntry e;
  e.prov = prov("sqlite,gxx");
  e.runs = 5;
  ProgramRow h{"sqlite", "hakmem", 1.2, 1.1, 0.1, 2048, 100, 5, true};
  h.steady_wall_s = 1.0, h.steady_cpu_s = 0.9, h.steady_runs = 3;
  h.instructions = 4e9, h.memory_calls = {{"mmap", 40}, {"munmap", 2}};
  h.wall_min_s = 1.1, h.wall_max_s = 1.9;
  ProgramRow g{"sqlite", "glibc", 1.5, 1.4, 0.1, 1024, 90, 5, true};
  g.steady_wall_s = 1.6, g.steady_cpu_s = 1.5, g.steady_runs = 2;
  e.rows = {h, g, {"gxx", "hakmem", 2.0, 2.0, 0.2, 90000, 9000, 5, false}, {"gxx", "glibc", 2.2, 2.1, 0.2, 80000, 8000, 5, true}};
  return e;
}

CheckCostEntry sample_check_cost() {
  CheckCostEntry e;
  e.prov = prov("python,sqlite");
  e.prov.preset = "debug";
  e.prov.metric = "cpu";
  e.runs = 3;
  e.programs = {{"python",
                 {{"release", {}, 1.0, 0.9, 160000, 1.0, 1.0, 3, true},
                  {"check0", {{"HAKMEM_CHECK", "0"}}, 1.1, 1.0, 160000, 1.1, 1.111, 3, true},
                  {"check1", {{"HAKMEM_CHECK", "1"}}, 1.2, 1.08, 160000, 1.2, 1.2, 3, true},
                  {"check2", {{"HAKMEM_CHECK", "2"}}, 2.5, 2.25, 240000, 2.5, 2.5, 3, false}}},
                {"sqlite", {{"release", {}, 1.0, 1.0, 9000, 1.0, 1.0, 3, true}}}};
  return e;
}

TEST(FinishAb, FillsFiguresAndVerdict) {
  AbEntry e = sample_ab();
  EXPECT_DOUBLE_EQ(e.a.median, 100.0);
  EXPECT_DOUBLE_EQ(e.b.median, 103.0);
  ASSERT_EQ(e.ratios.size(), 3u);
  EXPECT_DOUBLE_EQ(e.ratio_median, 1.02);
  EXPECT_DOUBLE_EQ(e.spread.min, 1.01);
  EXPECT_DOUBLE_EQ(e.spread.max, 1.03);
  EXPECT_EQ(e.verdict, Verdict::Go);
  e.guards.push_back({"app", 0.98, false});
  finish_ab(e);
  EXPECT_EQ(e.verdict, Verdict::NoGo);
}

TEST(LedgerJson, AbRoundTrip) {
  AbEntry e = sample_ab();
  json j = json::parse(to_json(e).dump());
  EXPECT_TRUE(validate_entry(j).empty());
  EXPECT_EQ(j["kind"], "ab");
  EXPECT_EQ(j["schema"], 1);
  AbEntry r = ab_from_json(j);
  EXPECT_EQ(r.prov.date, e.prov.date);
  EXPECT_EQ(r.prov.commit, e.prov.commit);
  EXPECT_EQ(r.prov.dirty, e.prov.dirty);
  EXPECT_EQ(r.prov.env, (EnvMap{{"HMB_ITERS", "1000"}}));  // PATH is not recorded
  EXPECT_EQ(r.prov.cores, 2);
  EXPECT_EQ(r.a.env, e.a.env);
  EXPECT_EQ(r.b.runs, e.b.runs);
  EXPECT_EQ(r.ratios, e.ratios);
  EXPECT_EQ(r.ratio_median, e.ratio_median);
  EXPECT_EQ(r.spread.max, e.spread.max);
  EXPECT_EQ(r.verdict, e.verdict);
  ASSERT_EQ(r.guards.size(), 1u);
  EXPECT_EQ(r.guards[0].profile, "small");
  EXPECT_EQ(r.pair_rtt_ns, e.pair_rtt_ns);
  EXPECT_EQ(to_json(r), to_json(e));
}

TEST(LedgerJson, SbsRoundTripKeepsNullInstructions) {
  SbsEntry e = sample_sbs();
  json j = json::parse(to_json(e).dump());
  EXPECT_TRUE(validate_entry(j).empty());
  EXPECT_TRUE(j["results"][0]["instr_per_op"].is_null());
  SbsEntry r = sbs_from_json(j);
  EXPECT_FALSE(r.results[0].instr_per_op.has_value());
  EXPECT_DOUBLE_EQ(*r.results[1].instr_per_op, 61.5);
  EXPECT_EQ(r.prov.metric, "cpu");
  EXPECT_EQ(to_json(r), to_json(e));
  // The kernel's share: written when measured, left out (and read back as absent) otherwise.
  EXPECT_FALSE(j["results"][0].contains("sys_s"));
  EXPECT_FALSE(r.results[0].minor_faults.has_value());
  EXPECT_DOUBLE_EQ(*r.results[1].sys_s, 0.25);
  EXPECT_DOUBLE_EQ(*r.results[1].minor_faults, 1200);
  EXPECT_FALSE(j["results"][0].contains("cpu_ns_per_op"));
  EXPECT_DOUBLE_EQ(*r.results[1].cpu_ns_per_op, 31.5);
  // Steady runs likewise.
  EXPECT_FALSE(j["results"][0].contains("steady_ops_per_s"));
  EXPECT_FALSE(r.results[0].steady_ops_per_s.has_value());
  EXPECT_DOUBLE_EQ(*r.results[1].steady_ops_per_s, 5.2e7);
  EXPECT_EQ(r.results[1].steady_runs, 2);
  j["results"][1]["steady_runs"] = "two";
  EXPECT_FALSE(validate_entry(j).empty());
}

TEST(LedgerJson, SbsFaultsAndSystemTimeAreNumbers) {
  json j = to_json(sample_sbs());
  j["results"][1]["minor_faults"] = "many";
  auto p = validate_entry(j);
  ASSERT_FALSE(p.empty());
  EXPECT_NE(p.front().find("minor_faults"), std::string::npos);
  j["results"][1].erase("minor_faults");
  j["results"][1]["cpu_ns_per_op"] = "fast";
  p = validate_entry(j);
  ASSERT_FALSE(p.empty());
  EXPECT_NE(p.front().find("cpu_ns_per_op"), std::string::npos);
  j["results"][1].erase("cpu_ns_per_op");
  j["results"][1].erase("sys_s");
  EXPECT_TRUE(validate_entry(j).empty());  // an entry from before the fields parses
}

// machine.line_rtt_ns: written (rounded) when measured, read back; an entry without it (older ones)
// reads as not measured; a negative or non-numeric one is refused; LEDGER.md names it.
TEST(LedgerJson, LineRoundTripIsRecordedWhenMeasured) {
  SbsEntry e = sample_sbs();
  EXPECT_FALSE(to_json(e)["machine"].contains("line_rtt_ns"));
  EXPECT_EQ(sbs_from_json(to_json(e)).prov.line_rtt_ns, 0.0);
  e.prov.line_rtt_ns = 481.6;
  json j = to_json(e);
  EXPECT_EQ(j["machine"]["line_rtt_ns"], 482.0);
  EXPECT_TRUE(validate_entry(j).empty());
  EXPECT_EQ(sbs_from_json(j).prov.line_rtt_ns, 482.0);
  EXPECT_NE(render_ledger_md({j}).find("line round trip 482 ns"), std::string::npos);
  j["machine"]["line_rtt_ns"] = -1;
  EXPECT_FALSE(validate_entry(j).empty());
  j["machine"]["line_rtt_ns"] = "fast";
  EXPECT_FALSE(validate_entry(j).empty());
}

TEST(LedgerJson, ValidationNamesProblems) {
  json j = to_json(sample_ab());
  j.erase("commit");
  j["verdict"] = "PROBABLY";
  j["date"] = "yesterday";
  j["ratios"].push_back(1.0);
  j["pair_rtt_ns"].push_back({100, -5});
  auto p = validate_entry(j);
  auto has = [&](const std::string& s) {
    for (const auto& x : p)
      if (x.find(s) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("commit: missing"));
  EXPECT_TRUE(has("verdict"));
  EXPECT_TRUE(has("date"));
  EXPECT_TRUE(has("ratios: not one per pair"));
  EXPECT_TRUE(has("pair_rtt_ns: not one"));  // four probe pairs for three runs, one negative
  EXPECT_THROW(ab_from_json(j), std::runtime_error);
  json s = to_json(sample_sbs());
  s["results"][0]["mode"] = "sideways";
  EXPECT_FALSE(validate_entry(s).empty());
  EXPECT_THROW(sbs_from_json(to_json(sample_ab())), std::runtime_error);
}

// Field names documented in docs/ledger.md: the first column of the common
// table, and in the kind paragraphs every `name` span and every "name": key.
struct DocFields {
  std::set<std::string> common, ab, sbs, check_cost, programs;
};

DocFields doc_fields() {
  std::ifstream in(HMB_LEDGER_DOC);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  DocFields f;
  std::regex row(R"(^\| `([a-z_0-9]+)`(?:, `([a-z_0-9]+)`)? \|)");
  std::istringstream lines(doc);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      f.common.insert(m[1]);
      if (m[2].matched) f.common.insert(m[2]);
    }
  }
  auto names = [](const std::string& text) {
    std::set<std::string> out;
    std::regex span("`([^`]*)`"), ident("^[a-z_0-9]+$"), key(R"re("([a-z_0-9]+)":)re");
    for (std::sregex_iterator it(text.begin(), text.end(), span), end; it != end; ++it) {
      std::string s = (*it)[1];
      if (std::regex_match(s, ident)) out.insert(s);
      for (std::sregex_iterator k(s.begin(), s.end(), key); k != end; ++k) out.insert((*k)[1]);
    }
    return out;
  };
  auto ab_at = doc.find("`kind: \"ab\"` adds");
  auto sbs_at = doc.find("`kind: \"sbs\"` adds");
  auto cc_at = doc.find("`kind: \"check-cost\"`"), pr_at = doc.find("`kind: \"programs\"`");
  if (ab_at != std::string::npos && sbs_at != std::string::npos && cc_at != std::string::npos &&
      pr_at != std::string::npos) {
    size_t ab_from = doc.find("adds:", ab_at) + 5, sbs_from = doc.find("adds:", sbs_at) + 5;
    size_t cc_from = doc.find("adds:", cc_at) + 5, pr_from = doc.find("adds:", pr_at) + 5;
    f.ab = names(doc.substr(ab_from, sbs_at - ab_from));
    f.sbs = names(doc.substr(sbs_from, cc_at - sbs_from));
    f.check_cost = names(doc.substr(cc_from, pr_at - cc_from));
    f.programs = names(doc.substr(pr_from));
  }
  return f;
}

void collect_keys(const json& j, std::set<std::string>& out) {
  if (j.is_object())
    for (const auto& [k, v] : j.items()) out.insert(k), collect_keys(v, out);
  if (j.is_array())
    for (const auto& v : j) collect_keys(v, out);
}

TEST(LedgerJson, MatchesTheDocumentedSchema) {
  DocFields f = doc_fields();
  ASSERT_GE(f.common.size(), 10u) << "could not read the common fields of " << HMB_LEDGER_DOC;
  ASSERT_FALSE(f.ab.empty());
  ASSERT_FALSE(f.sbs.empty());
  ASSERT_FALSE(f.check_cost.empty());
  ASSERT_FALSE(f.programs.empty());
  json ab = to_json(sample_ab()), sbs = to_json(sample_sbs()), cc = to_json(sample_check_cost());
  json pr = to_json(sample_programs());
  for (const auto& name : f.common) {
    EXPECT_TRUE(ab.contains(name)) << "ab entry lacks common field " << name;
    EXPECT_TRUE(sbs.contains(name)) << "sbs entry lacks common field " << name;
    EXPECT_TRUE(cc.contains(name)) << "check-cost entry lacks common field " << name;
    EXPECT_TRUE(pr.contains(name)) << "programs entry lacks common field " << name;
  }
  std::set<std::string> ab_keys, sbs_keys, cc_keys, pr_keys;
  collect_keys(ab, ab_keys);
  collect_keys(sbs, sbs_keys);
  collect_keys(cc, cc_keys);
  collect_keys(pr, pr_keys);
  for (const auto& name : f.programs) EXPECT_TRUE(pr_keys.count(name)) << "programs entry lacks " << name;
  for (const auto& name : f.ab) EXPECT_TRUE(ab_keys.count(name)) << "ab entry lacks " << name;
  for (const auto& name : f.sbs) EXPECT_TRUE(sbs_keys.count(name)) << "sbs entry lacks " << name;
  for (const auto& name : f.check_cost) EXPECT_TRUE(cc_keys.count(name)) << "check-cost entry lacks " << name;
  EXPECT_TRUE(f.ab.count("ratio_median"));
  EXPECT_TRUE(f.sbs.count("instr_per_op"));
}

TEST(LedgerFile, AppendThenReadBack) {
  auto dir = std::filesystem::temp_directory_path() / ("hmb-ledger-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::string path = (dir / "sub" / "ledger.jsonl").string();
  EXPECT_TRUE(read_ledger(path).empty());  // missing file: empty ledger
  append_ledger(path, to_json(sample_ab()));
  append_ledger(path, to_json(sample_sbs()));
  auto entries = read_ledger(path);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]["kind"], "ab");
  EXPECT_EQ(entries[1]["kind"], "sbs");
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_TRUE(json::accept(line)) << line;
  }
  EXPECT_EQ(lines, 2);  // one entry per line
  json bad = to_json(sample_ab());
  bad.erase("verdict");
  EXPECT_THROW(append_ledger(path, bad), std::runtime_error);
  std::ofstream(path, std::ios::app) << "{not json\n";
  try {
    read_ledger(path);
    ADD_FAILURE() << "malformed line accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(":3:"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(LedgerConfidence, EveryPairOnTheVerdictsSide) {
  AbEntry e = sample_ab();  // ratios 1.03, 1.01, 1.02: GO at +1%, the 1.01 pair just clears it
  EXPECT_EQ(e.verdict, Verdict::Go);
  EXPECT_TRUE(e.confident);
  e.b.runs = {103.0, 110.0, 91.8};  // one pair at 1.0: the median is GO, that pair is not
  finish_ab(e);
  EXPECT_EQ(e.verdict, Verdict::Go);
  EXPECT_FALSE(e.confident);
  e.b.runs = {97.0, 107.8, 87.3};  // all pairs -3%: a NO-GO of the main profile
  finish_ab(e);
  EXPECT_EQ(e.verdict, Verdict::NoGo);
  EXPECT_TRUE(e.confident);
  EXPECT_EQ(e.reason, "main profile");
  e.b.runs = {101.0, 111.1, 90.9};  // +1% main but a failing guard
  e.guards = {{"small", 0.995, false}};
  finish_ab(e);
  EXPECT_EQ(e.verdict, Verdict::NoGo);
  EXPECT_EQ(e.reason, "guard small");
  EXPECT_FALSE(e.confident);  // the guard lost 0.5%, inside the -1% NO-GO threshold
  e.guards = {{"small", 0.97, false}};
  finish_ab(e);
  EXPECT_TRUE(e.confident);
  json j = to_json(e);
  EXPECT_EQ(j["pairs"], 3);
  EXPECT_EQ(j["confident"], true);
  EXPECT_EQ(j["reason"], "guard small");
  json old = j;  // an entry written before confidence was recorded
  old.erase("pairs");
  old.erase("confident");
  old.erase("reason");
  EXPECT_TRUE(validate_entry(old).empty());
  AbEntry r = ab_from_json(old);
  EXPECT_TRUE(r.confident);
  EXPECT_EQ(r.reason, "guard small");
  j["confident"] = "yes";
  EXPECT_FALSE(validate_entry(j).empty());
}

TEST(LedgerJson, AnswerAndPhaseOfAReviewPlan) {
  AbEntry e = sample_ab();
  EXPECT_FALSE(to_json(e).contains("answer"));
  e.answer = "front-fastlane:0123456789ab";
  e.phase = "1";
  json j = to_json(e);
  EXPECT_EQ(j["answer"], "front-fastlane:0123456789ab");
  EXPECT_EQ(j["phase"], "1");
  AbEntry r = ab_from_json(j);
  EXPECT_EQ(r.answer, e.answer);
  EXPECT_EQ(r.phase, "1");
  j["phase"] = 1;
  EXPECT_FALSE(validate_entry(j).empty());
}

TEST(LedgerPortable, CommandsAndEnvironmentsHoldNoMachinePaths) {
  EXPECT_EQ(portable_command("/work/main/build/release/bin/hakmem-ab --profile mixed --ledger /tmp/x/l.jsonl"),
            "build/release/bin/hakmem-ab --profile mixed --ledger l.jsonl");
  EXPECT_EQ(portable_command("/opt/hm/hakmem-sbs --out=/home/u/r '/a/build/h-bench/bin/hakmem-sbs'"),
            "hakmem-sbs --out=r 'build/h-bench/bin/hakmem-sbs'");
  EXPECT_EQ(portable_command("./hakmem-sbs --runs 3"), "./hakmem-sbs --runs 3");
  EXPECT_EQ(portable_env({{"PATH", "/usr/bin"}, {"HOME", "/root"}, {"HMB_ITERS", "9"}, {"HAKMEM_X", "1"}}),
            (EnvMap{{"HAKMEM_X", "1"}, {"HMB_ITERS", "9"}}));
  AbEntry e = sample_ab();
  e.prov.command = "/work/main/build/release/bin/hakmem-ab --profile mixed";
  json j = to_json(e);
  EXPECT_EQ(j["command"], "build/release/bin/hakmem-ab --profile mixed");
  EXPECT_FALSE(j["env"].contains("PATH"));
  EXPECT_FALSE(make_portable(j));  // already portable
}

TEST(LedgerPortable, MigrationRewritesOldEntriesOnce) {
  auto dir = std::filesystem::temp_directory_path() / ("hmb-ledger-migrate-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = (dir / "ledger.jsonl").string();
  json old = to_json(sample_sbs());
  old["command"] = "/srv/x/build/release/bin/hakmem-sbs --profile ring:50";
  old["env"]["PATH"] = "/usr/local/bin:/usr/bin";
  std::ofstream(path) << to_json(sample_ab()).dump() << "\n" << old.dump() << "\n";
  EXPECT_EQ(migrate_ledger(path), 1);
  auto entries = read_ledger(path);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1]["command"], "build/release/bin/hakmem-sbs --profile ring:50");
  EXPECT_FALSE(entries[1]["env"].contains("PATH"));
  EXPECT_EQ(migrate_ledger(path), 0);  // nothing left to rewrite
  // Appending migrates what is already there.
  std::ofstream(path, std::ios::app) << old.dump() << "\n";
  append_ledger(path, to_json(sample_ab()));
  for (const auto& j : read_ledger(path)) EXPECT_FALSE(j["env"].contains("PATH")) << j.dump();
  std::filesystem::remove_all(dir);
}

TEST(LedgerPortable, CommittedLedgerIsPortable) {
  std::string ledger = std::filesystem::path(HMB_LEDGER_DOC).parent_path().parent_path().string() +
                       "/bench/ledger/ledger.jsonl";
  auto entries = read_ledger(ledger);
  ASSERT_FALSE(entries.empty());
  for (auto j : entries) EXPECT_FALSE(make_portable(j)) << "not portable: " << j["date"] << " " << j["command"];
}

TEST(LedgerCheckCost, SchemaRoundTripAndSummary) {
  json j = to_json(sample_check_cost());
  EXPECT_EQ(j["kind"], "check-cost");
  EXPECT_TRUE(validate_entry(j).empty()) << validate_entry(j).front();
  CheckCostEntry back = check_cost_from_json(j);
  ASSERT_EQ(back.programs.size(), 2u);
  EXPECT_EQ(back.programs[0].rows[2].gates.at("HAKMEM_CHECK"), "1");
  EXPECT_DOUBLE_EQ(back.programs[0].rows[3].cpu_x_release, 2.5);
  EXPECT_FALSE(back.programs[0].rows[3].output_matches);
  EXPECT_THROW(ab_from_json(j), std::runtime_error);
  json bad = j;
  bad["programs"][0]["rows"][1].erase("cpu_x_release");
  EXPECT_FALSE(validate_entry(bad).empty());
  bad = j;
  bad["programs"][0]["rows"][1]["output_matches"] = "yes";
  EXPECT_FALSE(validate_entry(bad).empty());
  bad = j;
  bad["programs"] = json::array();
  EXPECT_FALSE(validate_entry(bad).empty());
  std::string md = render_ledger_md({to_json(sample_ab()), j});
  EXPECT_NE(md.find("2 entries: 1 A/B, 0 side-by-side, 1 check cost"), std::string::npos) << md;
  EXPECT_NE(md.find("## Check cost"), std::string::npos);
  EXPECT_NE(md.find("1.20x (1.20x)"), std::string::npos);                 // python at level 1
  EXPECT_NE(md.find("2.50x (2.50x) output differs"), std::string::npos);  // python at level 2
  EXPECT_NE(md.find("| sqlite "), std::string::npos);                      // a program without debug rows
}

// kind "programs": the side-by-side of real programs, written as it was read, refused when a row's
// figure is missing or mistyped, and rendered one table per program with the steady ratio.
TEST(LedgerPrograms, SchemaRoundTripAndSummary) {
  json j = to_json(sample_programs());
  EXPECT_EQ(j["kind"], "programs");
  EXPECT_TRUE(validate_entry(j).empty()) << validate_entry(j).front();
  ProgramsEntry back = programs_from_json(j);
  ASSERT_EQ(back.rows.size(), 4u);
  EXPECT_EQ(back.rows[0].program, "sqlite");
  EXPECT_DOUBLE_EQ(back.rows[0].steady_wall_s, 1.0);
  EXPECT_EQ(back.rows[0].steady_runs, 3);
  EXPECT_DOUBLE_EQ(back.rows[0].instructions, 4e9);
  EXPECT_DOUBLE_EQ(back.rows[0].memory_calls.at("mmap"), 40);
  EXPECT_DOUBLE_EQ(back.rows[0].wall_max_s, 1.9);
  EXPECT_EQ(back.rows[2].steady_runs, 0);  // absent: no steady runs
  EXPECT_DOUBLE_EQ(back.rows[2].wall_max_s, 0);  // absent: not recorded
  EXPECT_FALSE(back.rows[2].output_matches);
  EXPECT_THROW(check_cost_from_json(j), std::runtime_error);
  EXPECT_THROW(programs_from_json(to_json(sample_check_cost())), std::runtime_error);
  for (auto [field, value] : {std::pair<const char*, json>{"wall_s", "1.2"}, {"runs", 2.5}, {"output_matches", 1},
                              {"wall_max_s", "1.9"},
                              {"steady_runs", "3"}, {"memory_calls", json{{"mmap", "x"}}}}) {
    json bad = j;
    bad["rows"][0][field] = value;
    EXPECT_FALSE(validate_entry(bad).empty()) << field;
  }
  json bad = j;
  bad["rows"][1].erase("peak_rss_kb");
  EXPECT_FALSE(validate_entry(bad).empty());
  bad = j;
  bad["rows"] = json::array();
  EXPECT_FALSE(validate_entry(bad).empty());
  std::string md = render_ledger_md({to_json(sample_ab()), j});
  EXPECT_NE(md.find("2 entries: 1 A/B, 0 side-by-side, 1 programs"), std::string::npos) << md;
  EXPECT_NE(md.find("## Programs side by side"), std::string::npos);
  EXPECT_NE(md.find("### sqlite (2026-11-25T21:00:00Z"), std::string::npos);
  EXPECT_NE(md.find("### gxx (2026-11-25T21:00:00Z"), std::string::npos);
  EXPECT_NE(md.find("0.800"), std::string::npos);  // hakmem's sqlite wall over glibc's
  EXPECT_NE(md.find("steady wall x best peer"), std::string::npos);
  EXPECT_NE(md.find("0.625"), std::string::npos);  // its steady wall over glibc's steady wall
  EXPECT_NE(md.find("0.909"), std::string::npos);  // gxx: 2.0 over 2.2
}

TEST(LedgerFile, FixtureIsValid) {
  auto entries = read_ledger(std::string(HMB_FIXTURES) + "/ledger.jsonl");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(ab_from_json(entries[0]).verdict, Verdict::Go);
  EXPECT_EQ(sbs_from_json(entries[1]).results.size(), 3u);
}

TEST(LedgerMd, RendersBothKinds) {
  auto entries = read_ledger(std::string(HMB_FIXTURES) + "/ledger.jsonl");
  std::string md = render_ledger_md(entries);
  EXPECT_EQ(md, render_ledger_md(entries));  // deterministic
  EXPECT_EQ(md.rfind("# Benchmark ledger", 0), 0u);
  EXPECT_NE(md.find("do not edit by hand"), std::string::npos);
  EXPECT_NE(md.find("2 entries: 1 A/B, 1 side-by-side"), std::string::npos);
  // The A/B row: gate, both sides, medians, ratio, spread, verdict, guard.
  EXPECT_NE(md.find("| HAKMEM_TCACHE "), std::string::npos);
  EXPECT_NE(md.find("HAKMEM_TCACHE=0"), std::string::npos);
  EXPECT_NE(md.find("11.00M"), std::string::npos);
  EXPECT_NE(md.find("22.00M"), std::string::npos);
  EXPECT_NE(md.find("+100.00%"), std::string::npos);
  EXPECT_NE(md.find("+100.00% .. +110.00%"), std::string::npos);
  EXPECT_NE(md.find("**GO**"), std::string::npos);
  EXPECT_NE(md.find("small +50.00% ok"), std::string::npos);
  EXPECT_NE(md.find("0123456789"), std::string::npos);
  // The side-by-side section with its ratios: mimalloc 50M vs hakmem 40M.
  EXPECT_NE(md.find("### mixed (2026-11-25T22:00:00Z, none+dirty, release, 3 runs"), std::string::npos);
  EXPECT_NE(md.find("| mimalloc "), std::string::npos);
  EXPECT_NE(md.find("1.250"), std::string::npos);
  EXPECT_NE(md.find("61.5"), std::string::npos);
  EXPECT_NE(md.find("hakmem (inprocess) / best peer (mimalloc): 0.800 (-20.00%)"), std::string::npos);
}

// The A/B table's steady column: the pairs whose probes both lie within 2x of the run's lower-quartile
// probe (here the first and third; the second ran far), their median ratio, how many, and the verdict
// they alone would give; "-" for an entry without probes.
TEST(LedgerMd, AbSteadyPairsColumn) {
  std::string md = render_ledger_md({to_json(sample_ab())});
  EXPECT_NE(md.find("steady pairs' B/A (pairs, verdict)"), std::string::npos);
  EXPECT_NE(md.find("+2.50% (2, GO)"), std::string::npos) << md;
  AbEntry unprobed = sample_ab();
  unprobed.pair_rtt_ns.clear();
  md = render_ledger_md({to_json(unprobed)});
  EXPECT_EQ(md.find("(2, GO)"), std::string::npos);
}

TEST(LedgerMd, EmptyLedgerAndInvalidEntry) {
  std::string md = render_ledger_md({});
  EXPECT_NE(md.find("No A/B entries yet."), std::string::npos);
  EXPECT_NE(md.find("No side-by-side entries yet."), std::string::npos);
  json bad = to_json(sample_sbs());
  bad.erase("results");
  EXPECT_THROW(render_ledger_md({bad}), std::runtime_error);
}

}  // namespace
}  // namespace hmb
