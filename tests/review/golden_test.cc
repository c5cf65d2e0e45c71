// Golden tests: from the fixture registry, ledger, callgrind output, source tree, git state and date, the
// questionnaire, answer template, box graph and A/B plan are byte-identical to tests/review/golden/.
#include <filesystem>

#include "common.h"

using namespace review_test;
using hm::review::read_file;

namespace {

std::string fixed_args(const std::string& tmp, const std::string& ledger) {
  return "questionnaire --topic " + fixture("topic.json") + " --registry " + fixture("registry.json") + " --ledger " +
         ledger + " --callgrind " + fixture("callgrind.txt") + " --tree " + fixture("tree") + " --repo " +
         src("") + " --git-commit 0123456789abcdef0123456789abcdef01234567 --git-branch main --git-dirty 1" +
         " --date 2026-11-26 --policy " + fixture("policy.json") + " --profiles " + kProfiles + " --out " + tmp + "/q --graph-out " + tmp + "/boxes";
}

}  // namespace

TEST(ReviewGolden, QuestionnaireTemplateAndGraph) {
  std::string tmp = temp_dir("golden");
  CliRun r = review(fixed_args(tmp, fixture("ledger.jsonl")), tmp);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("wrote fixture-topic.md"), std::string::npos) << r.out;
  expect_golden("fixture-topic.md", read_file(tmp + "/q/fixture-topic.md"));
  expect_golden("fixture-topic.answer-template.md", read_file(tmp + "/q/fixture-topic.answer-template.md"));
  expect_golden("graph.dot", read_file(tmp + "/boxes/graph.dot"));
  expect_golden("graph.txt", read_file(tmp + "/boxes/graph.txt"));
  std::filesystem::remove_all(tmp);
}

TEST(ReviewGolden, EmptyLedgerQuotesNoNumbers) {
  std::string tmp = temp_dir("empty");
  CliRun r = review(fixed_args(tmp, tmp + "/no-ledger.jsonl"), tmp);
  ASSERT_EQ(r.rc, 0) << r.err;
  std::string q = read_file(tmp + "/q/fixture-topic.md");
  EXPECT_NE(q.find("has no side-by-side (`sbs`) entry for profile `mixed` yet, so no figures are quoted"),
            std::string::npos);
  EXPECT_NE(q.find("has no A/B (`ab`) entry yet"), std::string::npos);
  EXPECT_NE(q.find("Source: `tests/review/fixtures/policy.json`"), std::string::npos);  // runs come from the policy
  EXPECT_EQ(q.find("ops/s |"), std::string::npos);
  expect_golden("fixture-topic.empty-ledger.md", q);
  std::filesystem::remove_all(tmp);
}

TEST(ReviewGolden, ALaterVerdictOnTheSameComparisonLiftsANoGo) {
  std::string tmp = temp_dir("overturned");
  // The fixture's NO-GO (HAKMEM_PURGE=1 -> 0 on mixed), run again later with another verdict.
  std::string ledger = read_file(fixture("ledger.jsonl"));
  std::string nogo;
  for (size_t at = 0, end; at < ledger.size(); at = end + 1) {
    end = ledger.find('\n', at);
    std::string line = ledger.substr(at, end - at);
    if (line.find("\"verdict\":\"NO-GO\"") != std::string::npos) nogo = line;
    if (end == std::string::npos) break;
  }
  ASSERT_FALSE(nogo.empty());
  std::string later = nogo, verdict = "\"verdict\":\"NO-GO\"", date = "2026-11-23T09:00:00Z";
  later.replace(later.find(verdict), verdict.size(), "\"verdict\":\"NEUTRAL\"");
  later.replace(later.find(date), date.size(), "2026-11-24T09:00:00Z");
  hm::review::write_file(tmp + "/ledger.jsonl", ledger + (ledger.back() == '\n' ? "" : "\n") + later + "\n");
  CliRun r = review(fixed_args(tmp, tmp + "/ledger.jsonl"), tmp);
  ASSERT_EQ(r.rc, 0) << r.err;
  std::string q = read_file(tmp + "/q/fixture-topic.md");
  EXPECT_EQ(q.find("`HAKMEM_PURGE=0` (box segment"), std::string::npos) << "an overturned NO-GO is still banned";
  EXPECT_NE(q.find("No confident NO-GO verdict is recorded"), std::string::npos);
  // The original ledger still bans it.
  std::string tmp2 = temp_dir("overturned-orig");
  ASSERT_EQ(review(fixed_args(tmp2, fixture("ledger.jsonl")), tmp2).rc, 0);
  EXPECT_NE(read_file(tmp2 + "/q/fixture-topic.md").find("`HAKMEM_PURGE=0` (box segment"), std::string::npos);
  std::filesystem::remove_all(tmp);
  std::filesystem::remove_all(tmp2);
}

TEST(ReviewGolden, SameInputsSameBytes) {
  std::string a = temp_dir("det-a"), b = temp_dir("det-b");
  ASSERT_EQ(review(fixed_args(a, fixture("ledger.jsonl")), a).rc, 0);
  ASSERT_EQ(review(fixed_args(b, fixture("ledger.jsonl")), b).rc, 0);
  EXPECT_EQ(read_file(a + "/q/fixture-topic.md"), read_file(b + "/q/fixture-topic.md"));
  EXPECT_EQ(read_file(a + "/boxes/graph.dot"), read_file(b + "/boxes/graph.dot"));
  std::filesystem::remove_all(a);
  std::filesystem::remove_all(b);
}

TEST(ReviewGolden, PlanOfTheGoodAnswer) {
  std::string tmp = temp_dir("plan");
  CliRun r = review("plan " + fixture("answers/good.md") + " --registry " + fixture("registry.json") +
                     " --questionnaire " + golden_path("fixture-topic.md") + " --ledger " + fixture("ledger.jsonl") +
                     " --policy " + fixture("policy.json") + " --profiles " + kProfiles,
                 tmp);
  ASSERT_EQ(r.rc, 0) << r.err;
  expect_golden("plan.txt", r.out);
  std::filesystem::remove_all(tmp);
}

TEST(ReviewGolden, PlanRefusesAnAnswerThatFailsTheCheck) {
  std::string tmp = temp_dir("plan-bad");
  CliRun r = review("plan " + fixture("answers/bad-gates.md") + " --registry " + fixture("registry.json") +
                     " --ledger " + fixture("ledger.jsonl") + " --profiles " + kProfiles,
                 tmp);
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("does not pass check-answer"), std::string::npos) << r.err;
}

TEST(ReviewCli, CheckAnswerExitCodesAndLineFormat) {
  std::string tmp = temp_dir("check");
  std::string common = " --registry " + fixture("registry.json") + " --questionnaire " +
                       golden_path("fixture-topic.md") + " --ledger " + fixture("ledger.jsonl") + " --policy " +
                       fixture("policy.json") + " --profiles " + kProfiles;
  CliRun good = review("check-answer " + fixture("answers/good.md") + common, tmp);
  EXPECT_EQ(good.rc, 0) << good.err;
  EXPECT_EQ(good.err, "");
  CliRun bad = review("check-answer " + fixture("answers/bad-gates.md") + common, tmp);
  EXPECT_EQ(bad.rc, 1);
  std::string err = bad.err, prefix = fixture("");
  for (size_t at; (at = err.find(prefix)) != std::string::npos;) err.erase(at, prefix.size());
  expect_golden("bad-gates.check.txt", err);
  CliRun tmpl = review("check-answer " + golden_path("fixture-topic.answer-template.md") + common, tmp);
  EXPECT_EQ(tmpl.rc, 1) << "an unfilled template must not pass";
  EXPECT_NE(tmpl.err.find("ANS-PLACEHOLDER: unfilled placeholder"), std::string::npos);
  std::filesystem::remove_all(tmp);
}

TEST(ReviewGolden, QuestionsFollowWhetherHakmemLeadsOrTrails) {
  std::string tmp = temp_dir("leads");
  std::string ledger = read_file(fixture("ledger.jsonl"));
  std::string from = "\"allocator\":\"hakmem\",\"mode\":\"inprocess\",\"ops_per_s\":44450000.0";
  auto at = ledger.rfind(from);
  ASSERT_NE(at, std::string::npos);
  ledger.replace(at, from.size(), "\"allocator\":\"hakmem\",\"mode\":\"inprocess\",\"ops_per_s\":128920000.0");
  hm::review::write_file(tmp + "/ledger.jsonl", ledger);
  ASSERT_EQ(review(fixed_args(tmp, tmp + "/ledger.jsonl"), tmp).rc, 0);
  std::string q = read_file(tmp + "/q/fixture-topic.md");
  EXPECT_NE(q.find("hakmem leads mimalloc by +10.00% (inprocess against inprocess, wall clock)"), std::string::npos);
  EXPECT_NE(q.find("how large a lead over mimalloc can hakmem hold"), std::string::npos);
  EXPECT_EQ(q.find("parity needs"), std::string::npos);
  std::string orig = read_file(golden_path("fixture-topic.md"));
  EXPECT_NE(orig.find("how close can hakmem get"), std::string::npos);
  std::filesystem::remove_all(tmp);
}

TEST(ReviewGolden, HotspotsByDefaultAreCachedPerCommit) {
  std::string tmp = temp_dir("hotspots");
  std::string commit = "0123456789abcdef0123456789abcdef01234567";
  auto args = [&](const std::string& dirty) {
    return "questionnaire --topic " + fixture("topic.json") + " --registry " + fixture("registry.json") + " --ledger " +
           fixture("ledger.jsonl") + " --tree " + fixture("tree") + " --repo " + src("") + " --git-commit " + commit +
           " --git-branch main --git-dirty " + dirty + " --date 2026-11-26 --policy " + fixture("policy.json") +
           " --profiles " + kProfiles + " --out " + tmp + "/q --graph-out " + tmp + "/boxes --bench " + tmp +
           "/no-such-bench --hotspot-cache " + tmp + "/cache";
  };
  // No cache and no benchmark binary: the questionnaire says why there is no table.
  CliRun none = review(args("0"), tmp);
  ASSERT_EQ(none.rc, 0) << none.err;
  EXPECT_NE(read_file(tmp + "/q/fixture-topic.md").find("No callgrind profile: no benchmark binary"), std::string::npos);
  // A profile cached for this commit and profile is used without running anything.
  hm::review::write_file(tmp + "/cache/" + commit + "-mixed.callgrind.txt", read_file(fixture("callgrind.txt")));
  hm::review::write_file(tmp + "/cache/" + commit + "-mixed.callgrind.txt.how",
                         "callgrind of the hakmem in-process case on profile `mixed` at commit 0123456789ab");
  ASSERT_EQ(review(args("0"), tmp).rc, 0);
  std::string q = read_file(tmp + "/q/fixture-topic.md");
  EXPECT_NE(q.find("at commit 0123456789ab, cached in"), std::string::npos) << q.substr(q.find("### 2.3"), 600);
  EXPECT_NE(q.find("| front | "), std::string::npos);
  // A dirty tree is never served from the cache.
  ASSERT_EQ(review(args("1"), tmp).rc, 0);
  EXPECT_NE(read_file(tmp + "/q/fixture-topic.md").find("No callgrind profile: no benchmark binary"), std::string::npos);
  // --no-hotspots turns the table off.
  ASSERT_EQ(review(args("0") + " --no-hotspots", tmp).rc, 0);
  EXPECT_NE(read_file(tmp + "/q/fixture-topic.md").find("--no-hotspots was given"), std::string::npos);
  std::filesystem::remove_all(tmp);
}

TEST(ReviewGolden, PlanRefusesSidesThatAreNotGateSettings) {
  std::string tmp = temp_dir("plan-sides");
  for (const char* f : {"answers/broken/13-ab-side-builds.md", "answers/broken/14-ab-side-preload.md"}) {
    CliRun r = review("plan " + fixture(f) + " --registry " + fixture("registry.json") + " --questionnaire " +
                          golden_path("fixture-topic.md") + " --ledger " + fixture("ledger.jsonl") + " --profiles " + kProfiles,
                      tmp);
    EXPECT_EQ(r.rc, 1) << f;
    EXPECT_EQ(r.out, "") << "no `hakmem ab` command may come out of " << f;
    EXPECT_NE(r.err.find("ANS-AB-SIDE"), std::string::npos) << r.err;
  }
  std::filesystem::remove_all(tmp);
}
