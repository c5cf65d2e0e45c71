// The ledger's writer (bench/runner/ledger.cc) and the review kit's reader (review/src/model.cc) share one
// schema (tools/common/ledger_schema.h): every figure the writer records comes back through the reader,
// and an entry without its recorded confidence is judged by the reader as the writer judged it.
#include <gtest/gtest.h>

#include "model.h"
#include "runner/ledger.h"

namespace {

hmb::Provenance prov(const std::string& profile) {
  hmb::Provenance p;
  p.date = "2026-11-25T21:00:00Z";
  p.commit = "0123456789abcdef0123456789abcdef01234567";
  p.dirty = true;
  p.preset = "release";
  p.binary_sha256 = std::string(64, 'a');
  p.cpu = "cpu";
  p.cores = 2;
  p.command = "hakmem-ab --profile " + profile;
  p.env = {{"HMB_ITERS", "1000"}};
  p.profile = profile;
  p.metric = "cpu";
  return p;
}

hmb::AbEntry ab(std::vector<double> a, std::vector<double> b, std::vector<hmb::GuardResult> guards) {
  hmb::AbEntry e;
  e.prov = prov("mixed");
  e.box = "tcache";
  e.gate = "HAKMEM_TCACHE";
  e.a = {{{"HAKMEM_TCACHE", "0"}}, std::move(a), 0};
  e.b = {{{"HAKMEM_TCACHE", "1"}}, std::move(b), 0};
  e.guards = std::move(guards);
  e.answer = "docs/answers/x.md";
  e.phase = "2";
  hmb::finish_ab(e);
  return e;
}

hm::review::Ledger read_back(const std::vector<nlohmann::json>& entries) {
  std::string text;
  for (const auto& j : entries) text += j.dump() + "\n";
  return hm::review::parse_ledger(text, "bench/ledger/ledger.jsonl");
}

TEST(LedgerSchema, AbEntryReadsBackAsWritten) {
  std::vector<hmb::AbEntry> written = {
      ab({100, 110, 90}, {103, 111.1, 91.8}, {{"small", 0.995, true}}),       // GO
      ab({100, 100, 100}, {90, 95, 99.5}, {}),                                 // NO-GO, main profile
      ab({100, 100, 100}, {100.2, 99.9, 100.1}, {{"small", 0.97, false}}),    // NO-GO by a guard
      ab({100, 100, 100}, {100.2, 99.9, 100.1}, {})};                          // NEUTRAL
  std::vector<nlohmann::json> js;
  for (const auto& e : written) js.push_back(hmb::to_json(e));
  hm::review::Ledger l = read_back(js);
  ASSERT_TRUE(l.problems.empty()) << l.problems.front();
  ASSERT_EQ(l.entries.size(), written.size());
  for (size_t i = 0; i < written.size(); ++i) {
    const hmb::AbEntry& w = written[i];
    const hm::review::LedgerEntry& r = l.entries[i];
    EXPECT_EQ(r.kind, "ab");
    EXPECT_EQ(r.date, w.prov.date);
    EXPECT_EQ(r.commit, w.prov.commit);
    EXPECT_EQ(r.dirty, w.prov.dirty);
    EXPECT_EQ(r.preset, w.prov.preset);
    EXPECT_EQ(r.profile, w.prov.profile);
    EXPECT_EQ(r.metric, w.prov.metric);
    EXPECT_EQ(r.command, hmb::portable_command(w.prov.command));
    EXPECT_EQ(r.box, w.box);
    EXPECT_EQ(r.gate, w.gate);
    EXPECT_EQ(r.a_env, "HAKMEM_TCACHE=0");
    EXPECT_EQ(r.b_env, "HAKMEM_TCACHE=1");
    EXPECT_EQ(r.a_runs, int(w.a.runs.size()));
    EXPECT_EQ(r.ratios, w.ratios);
    EXPECT_EQ(r.ratio_median, w.ratio_median);
    EXPECT_EQ(r.spread_min, w.spread.min);
    EXPECT_EQ(r.spread_max, w.spread.max);
    EXPECT_EQ(r.go_pct, w.thresholds.go_pct);
    EXPECT_EQ(r.nogo_pct, w.thresholds.nogo_pct);
    EXPECT_EQ(r.verdict, hmb::to_string(w.verdict));
    EXPECT_EQ(r.confident, w.confident) << i;
    EXPECT_EQ(r.reason, w.reason) << i;
    EXPECT_EQ(r.answer, w.answer);
    EXPECT_EQ(r.phase, w.phase);
    ASSERT_EQ(r.guards.size(), w.guards.size());
    for (size_t g = 0; g < w.guards.size(); ++g) {
      EXPECT_EQ(r.guards[g].profile, w.guards[g].profile);
      EXPECT_EQ(r.guards[g].ratio_median, w.guards[g].ratio_median);
      EXPECT_EQ(r.guards[g].ok, w.guards[g].ok);
    }
  }
  // Entries from before confidence was recorded: the reader judges them by the writer's rule.
  for (auto& j : js) j.erase("confident"), j.erase("reason");
  hm::review::Ledger old = read_back(js);
  for (size_t i = 0; i < written.size(); ++i) {
    EXPECT_EQ(old.entries[i].confident, written[i].confident) << i;
    EXPECT_EQ(old.entries[i].reason, written[i].reason) << i;
  }
}

TEST(LedgerSchema, SbsEntryReadsBackAsWritten) {
  hmb::SbsEntry e;
  e.prov = prov("ring:50");
  e.runs = 3;
  e.results = {{"hakmem", "inprocess", 4e7, 25.0, 8000, 7000, std::nullopt},
               {"jemalloc", "preload", 5e7, 20.0, 9000, 8500, 61.5}};
  hm::review::Ledger l = read_back({hmb::to_json(e)});
  ASSERT_EQ(l.entries.size(), 1u);
  const auto& r = l.entries[0];
  EXPECT_EQ(r.kind, "sbs");
  EXPECT_EQ(r.runs, 3);
  EXPECT_EQ(r.metric, "cpu");
  ASSERT_EQ(r.results.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(r.results[i].allocator, e.results[i].allocator);
    EXPECT_EQ(r.results[i].mode, e.results[i].mode);
    EXPECT_EQ(r.results[i].ops_per_s, e.results[i].ops_per_s);
    EXPECT_EQ(r.results[i].ns_per_op, e.results[i].ns_per_op);
    EXPECT_EQ(r.results[i].peak_rss_kb, e.results[i].peak_rss_kb);
    EXPECT_EQ(r.results[i].instr_per_op, e.results[i].instr_per_op);
  }
  EXPECT_EQ(l.latest_sbs("ring:50"), &l.entries[0]);
}

// The entries bench alone reads (the programs' side-by-side and the check levels' cost) are neither
// verdicts nor a profile's side-by-side: the reader passes over them without a problem.
TEST(LedgerSchema, ProgramsAndCheckCostEntriesArePassedOver) {
  hmb::ProgramsEntry p;
  p.prov = prov("sqlite");
  p.runs = 3;
  p.rows = {{"sqlite", "hakmem", 1.2, 1.1, 0.1, 2048, 100, 3, true}};
  hmb::CheckCostEntry c;
  c.prov = prov("sqlite");
  c.runs = 3;
  c.programs = {{"sqlite", {{"release", {}, 1.0, 1.0, 9000, 1.0, 1.0, 3, true}}}};
  hm::review::Ledger l =
      read_back({hmb::to_json(p), hmb::to_json(ab({100, 110, 90}, {103, 111.1, 91.8}, {})), hmb::to_json(c)});
  EXPECT_TRUE(l.problems.empty()) << l.problems.front();
  ASSERT_EQ(l.entries.size(), 1u);
  EXPECT_EQ(l.entries[0].kind, "ab");
}

}  // namespace
