// From answer to decision: the answer ID a plan passes to `hakmem ab`, the decisions record written from the
// runs carrying it, answers side by side, and the status of committed questionnaires.
#include <filesystem>

#include "answer.h"
#include "common.h"
#include "loop.h"

using namespace review_test;
using namespace hm::review;

namespace {

// One `ab` ledger line made by a plan: answer, phase, profile, metric, ratio per pair (10 pairs).
std::string ab_line(const std::string& answer, const std::string& phase, const std::string& profile,
                    const std::string& metric, double ratio, double spread, const std::string& verdict, bool confident) {
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "{\"schema\":1,\"kind\":\"ab\",\"date\":\"2026-11-27T00:00:00Z\",\"commit\":\"c\",\"dirty\":false,"
                "\"preset\":\"release\",\"profile\":\"%s\",\"metric\":\"%s\",\"box\":\"fastlane\",\"gate\":\"HAKMEM_FASTLANE\","
                "\"a\":{\"env\":{\"HAKMEM_FASTLANE\":\"0\"},\"runs\":[1,1,1,1,1,1,1,1,1,1]},"
                "\"b\":{\"env\":{\"HAKMEM_FASTLANE\":\"1\"},\"runs\":[1,1,1,1,1,1,1,1,1,1]},\"ratio_median\":%g,"
                "\"spread\":[%g,%g],\"thresholds\":{\"go_pct\":1.0,\"nogo_pct\":-1.0},\"verdict\":\"%s\",\"pairs\":10,"
                "\"confident\":%s,\"answer\":\"%s\",\"phase\":\"%s\"}\n",
                profile.c_str(), metric.c_str(), ratio, ratio - spread, ratio + spread, verdict.c_str(),
                confident ? "true" : "false", answer.c_str(), phase.c_str());
  return buf;
}

}  // namespace

TEST(Loop, AnswerIdNamesTopicAndContent) {
  std::string good = read_file(fixture("answers/good.md"));
  std::string id = answer_id(good);
  EXPECT_EQ(id.rfind("fixture-topic:", 0), 0u) << id;
  EXPECT_EQ(id.size(), std::string("fixture-topic:").size() + 12);
  EXPECT_NE(answer_id(good + "\n"), id);
  EXPECT_EQ(answer_id("# no ID\n").rfind("unknown:", 0), 0u);
  std::string cmds = plan_commands(ab_steps(good), "good.md", id);
  EXPECT_NE(cmds.find("--box fastlane --answer " + id + " --phase 1\n"), std::string::npos) << cmds;
  EXPECT_NE(cmds.find("--answer " + id + " --phase 2\n"), std::string::npos) << cmds;
}

TEST(Loop, RecordDecidesFromThePlansRuns) {
  std::string good = read_file(fixture("answers/good.md"));
  std::string id = answer_id(good);
  std::string text = ab_line(id, "1", "mixed", "cpu", 1.05, 0.01, "GO", true) +       // confident GO
                     ab_line(id, "2", "ring:50", "instr", 1.005, 0.03, "NEUTRAL", false) +  // inconclusive
                     ab_line("other:000000000000", "1", "mixed", "cpu", 0.9, 0.01, "NO-GO", true);  // another answer
  Ledger ledger = parse_ledger(text, "bench/ledger/ledger.jsonl");
  Policy policy;
  std::string rec = render_record(good, "docs/questionnaire/answers/good.md", ledger, policy);
  EXPECT_EQ(rec.rfind(kRecordMarker + id + ":", 0), 0u);
  EXPECT_NE(rec.find("## Decisions from answer `docs/questionnaire/answers/good.md`"), std::string::npos);
  EXPECT_NE(rec.find("| 1 | HAKMEM_FASTLANE 0 → 1 on mixed (cpu, 10 runs, GO 1.0%, NO-GO -1.0%) | 1 | +5.00% | GO | yes | "
                     "adopt b (HAKMEM_FASTLANE=1) |"),
            std::string::npos)
      << rec;
  EXPECT_NE(rec.find("| 2 | HAKMEM_FASTLANE 0 → 1 on ring:50 (instr, 10 runs, GO 1.0%, NO-GO -1.0%) | 2 | +0.50% | NEUTRAL | "
                     "no | measure again |"),
            std::string::npos)
      << rec;
  EXPECT_NE(rec.find("1 of 2 steps decided."), std::string::npos) << rec;
  Ledger empty = parse_ledger("", "bench/ledger/ledger.jsonl");
  EXPECT_NE(render_record(good, "good.md", empty, policy).find("| — | — | — | — | not run yet |"), std::string::npos);
}

TEST(Loop, CompareShowsRankingsRecommendationsAndPlans) {
  std::string a = read_file(fixture("answers/good.md")), b = read_file(fixture("answers/good/instr-and-assignments.md"));
  std::string cmp = render_compare({{"a.md", a}, {"b.md", b}});
  EXPECT_NE(cmp.find("| ranking (Q1) | A > B | B > A | "), std::string::npos) << cmp;
  EXPECT_NE(cmp.find("| recommended | A | B | "), std::string::npos) << cmp;
  EXPECT_NE(cmp.find("| A/B step 1 | phase 1: HAKMEM_FASTLANE 0 → 1 on mixed (cpu"), std::string::npos) << cmp;
  EXPECT_NE(cmp.find("phase 1: HAKMEM_TCACHE_MAX 64 → 128 on mixed (instr"), std::string::npos) << cmp;
  EXPECT_NE(cmp.find("Recommendations: A 1× B 1× (of 2 answers)."), std::string::npos) << cmp;
}

TEST(Loop, StatusAndRecordFromTheCommandLine) {
  std::string tmp = temp_dir("loop");
  CliRun st = review("status --dir " + src("tests/review/golden"), tmp);
  ASSERT_EQ(st.rc, 0) << st.err;
  EXPECT_NE(st.out.find("| fixture-topic | `tests/review/golden/fixture-topic.md` | 0123456789ab+dirty | unknown | none | none |"),
            std::string::npos)
      << st.out;
  EXPECT_EQ(st.out.find("answer-template"), std::string::npos);
  std::string out = tmp + "/decisions.md";
  std::string rec = "record " + fixture("answers/good.md") + " --out " + out + " --ledger " + fixture("ledger.jsonl");
  hm::review::write_file(out, "# Decisions written by hand\n\nKept as they are.\n");
  CliRun add = review(rec, tmp);
  ASSERT_EQ(add.rc, 0) << add.err;
  EXPECT_NE(add.out.find("added the record of fixture-topic:"), std::string::npos) << add.out;
  std::string once = read_file(out);
  EXPECT_EQ(once.rfind("# Decisions written by hand\n\nKept as they are.\n\n", 0), 0u) << once;
  EXPECT_NE(once.find("0 of 2 steps decided."), std::string::npos);
  EXPECT_EQ(generated_records(once), 1);
  CliRun again = review(rec, tmp);
  ASSERT_EQ(again.rc, 0) << again.err;
  EXPECT_NE(again.out.find("replaced the record"), std::string::npos) << again.out;
  EXPECT_EQ(read_file(out), once) << "a record is replaced in place, not appended twice";
  std::filesystem::remove(out);
  ASSERT_EQ(review(rec, tmp).rc, 0);
  EXPECT_EQ(read_file(out).rfind("# Decisions: fixture-topic\n\n" + std::string(kRecordMarker), 0), 0u);
  CliRun cmp = review("compare " + fixture("answers/good.md") + " " + fixture("answers/good/cites-and-evidence.md"), tmp);
  EXPECT_EQ(cmp.rc, 0) << cmp.err;
  EXPECT_NE(cmp.out.find("| recommended | A | A | "), std::string::npos) << cmp.out;
  std::filesystem::remove_all(tmp);
}
