// check-answer beyond the corpus: requirements read from the questionnaire, staleness warnings, false
// rejections that must not happen, the measured noise, and the A/B planner.
#include <algorithm>
#include <sstream>

#include "answer.h"
#include "common.h"

using namespace review_test;
using namespace hm::review;

namespace {

struct Ctx {
  Registry reg = parse_registry(read_file(fixture("registry.json")), "fixture");
  Ledger ledger = load_ledger(fixture("ledger.jsonl"), "tests/review/fixtures/ledger.jsonl");
  std::string good = read_file(fixture("answers/good.md"));
  CheckContext ctx;
  Ctx() {
    ctx.reg = &reg;
    std::stringstream in(kProfiles);
    for (std::string p; std::getline(in, p, ',');) ctx.profiles.push_back(p);
    ctx.questionnaire = read_questionnaire(read_file(golden_path("fixture-topic.md")));
    ctx.ledger = &ledger;
    ctx.repo = src("");
    ctx.registry_hash = registry_hash(reg);
    ctx.ledger_entries = int(ledger.entries.size());
  }
};

std::string dump(const std::vector<Problem>& ps) {
  std::string s;
  for (const auto& p : ps) s += std::to_string(p.line) + ": " + p.rule + ": " + p.text + "\n";
  return s;
}

bool has(const std::vector<Problem>& ps, const std::string& rule, const std::string& text = "") {
  return std::any_of(ps.begin(), ps.end(),
                     [&](const Problem& p) { return p.rule == rule && p.text.find(text) != std::string::npos; });
}

std::string edit(std::string md, const std::string& from, const std::string& to) {
  auto at = md.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) md.replace(at, from.size(), to);
  return md;
}

}  // namespace

TEST(CheckAnswer, RequirementsComeFromTheQuestionnaire) {
  Ctx c;
  const auto& q = *c.ctx.questionnaire;
  EXPECT_EQ(q.req.questions, (std::vector<int>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(q.req.candidates, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(q.banned, (std::vector<std::string>{"HAKMEM_PURGE=0"}));
  ASSERT_TRUE(q.id);
  EXPECT_EQ(q.id->topic, "fixture-topic");
  EXPECT_FALSE(q.edited);
}

TEST(CheckAnswer, StaleQuestionnaireIsAWarningNamingWhatChanged) {
  Ctx c;
  Ledger longer = c.ledger;  // three entries newer than the questionnaire
  for (int i = 0; i < 3; ++i) {
    longer.entries.push_back(longer.entries.back());
    longer.entries.back().line += 1;
  }
  c.ctx.ledger = &longer;
  c.ctx.ledger_entries = int(longer.entries.size());
  Registry newer = c.reg;
  newer.gates.push_back({"HAKMEM_NEWGATE", "tcache", "int", "0", "new", 0, 1});
  c.ctx.reg = &newer;
  c.ctx.registry_hash = registry_hash(newer);
  auto ps = check_answer(c.good, c.ctx);
  ASSERT_EQ(ps.size(), 1u) << dump(ps);
  EXPECT_TRUE(ps[0].warning);
  EXPECT_EQ(ps[0].rule, "ANS-ID-STALE");
  EXPECT_NE(ps[0].text.find("new gate HAKMEM_NEWGATE"), std::string::npos) << ps[0].text;
  EXPECT_NE(ps[0].text.find("3 newer entries (lines 9–11 of `tests/review/fixtures/ledger.jsonl`)"), std::string::npos)
      << ps[0].text;
}

TEST(CheckAnswer, EditedQuestionnaireIsAWarning) {
  Ctx c;
  std::string q = edit(read_file(golden_path("fixture-topic.md")), "## 0. Purpose", "## 0. Purpose (edited)");
  c.ctx.questionnaire = read_questionnaire(q);
  EXPECT_TRUE(c.ctx.questionnaire->edited);
  auto ps = check_answer(c.good, c.ctx);
  ASSERT_EQ(ps.size(), 1u) << dump(ps);
  EXPECT_EQ(ps[0].rule, "ANS-ID-EDITED");
  EXPECT_TRUE(ps[0].warning);
}

TEST(CheckAnswer, SystemPathsAreNotRepoPaths) {
  Ctx c;
  auto ps = check_answer(edit(c.good, "- Main risk:", "- Peak memory from /proc/self/status, /sys/kernel/mm and /dev/shm.\n- Main risk:"), c.ctx);
  EXPECT_TRUE(ps.empty()) << dump(ps);
  EXPECT_TRUE(has(check_answer(edit(c.good, "- Main risk:", "- See /etc/hakmem/x.conf\n- Main risk:"), c.ctx), "ANS-ABS-PATH"));
}

TEST(CheckAnswer, RetiredGateCitedFromTheQuestionnaireIsAccepted) {
  Ctx c;
  Registry retired = c.reg;  // HAKMEM_PURGE retired since the questionnaire listed it as a NO-GO
  retired.gates.erase(std::remove_if(retired.gates.begin(), retired.gates.end(),
                                     [](const Gate& g) { return g.name == "HAKMEM_PURGE"; }),
                      retired.gates.end());
  c.ctx.reg = &retired;
  c.ctx.registry_hash.clear();
  std::string md = edit(c.good, "- Main risk:", "- HAKMEM_PURGE=0 stays off the table (a NO-GO of the questionnaire).\n- Main risk:");
  auto ps = check_answer(md, c.ctx);
  EXPECT_TRUE(ps.empty()) << dump(ps);
  // Without the questionnaire the same name is unknown.
  c.ctx.questionnaire.reset();
  EXPECT_TRUE(has(check_answer(md, c.ctx), "ANS-GATE-UNKNOWN", "HAKMEM_PURGE"));
}

TEST(CheckAnswer, ThresholdsMustClearTheMeasuredNoise) {
  Ctx c;
  // Two noisy A/B entries on ring:50 (wall): half-spreads 2% and 4%, median 3%.
  std::string text;
  for (double w : {0.02, 0.04}) {
    char line[512];
    std::snprintf(line, sizeof line,
                  "{\"schema\":1,\"kind\":\"ab\",\"date\":\"2026-11-25T00:00:00Z\",\"commit\":\"c\",\"dirty\":false,"
                  "\"preset\":\"release\",\"profile\":\"ring:50\",\"metric\":\"wall\",\"box\":\"tcache\",\"gate\":\"HAKMEM_TCACHE\","
                  "\"a\":{\"env\":{\"HAKMEM_TCACHE\":\"0\"},\"runs\":[1,1]},\"b\":{\"env\":{\"HAKMEM_TCACHE\":\"1\"},\"runs\":[1,1]},"
                  "\"ratio_median\":1.0,\"spread\":[%g,%g],\"verdict\":\"NEUTRAL\"}\n",
                  1.0 - w, 1.0 + w);
    text += line;
  }
  Ledger noisy = parse_ledger(text, "noisy.jsonl");
  auto nz = measured_noise(noisy, "ring:50", "wall");
  ASSERT_TRUE(nz);
  EXPECT_NEAR(nz->pct, 3.0, 1e-9);
  EXPECT_FALSE(measured_noise(noisy, "ring:50", "cpu"));
  c.ctx.ledger = &noisy;
  c.ctx.ledger_entries = -1;
  std::string row = "| 2 | fastlane | HAKMEM_FASTLANE | ring:50 | instr | 0 | 1 | 10 | 1.0% | -1.0% | — |";
  std::string md = edit(c.good, row, "| 2 | fastlane | HAKMEM_FASTLANE | ring:50 | wall | 0 | 1 | 10 | 3.0% | -3.0% | — |");
  EXPECT_TRUE(has(check_answer(md, c.ctx), "ANS-AB-NOISE", "measured noise of profile ring:50, metric wall"));
  md = edit(c.good, row, "| 2 | fastlane | HAKMEM_FASTLANE | ring:50 | wall | 0 | 1 | 10 | 3.5% | -3.5% | — |");
  EXPECT_FALSE(has(check_answer(md, c.ctx), "ANS-AB-NOISE")) << dump(check_answer(md, c.ctx));
}

TEST(CheckAnswer, EditDistance) {
  EXPECT_EQ(edit_distance("HAKMEM_TCACHE_MAXX", "HAKMEM_TCACHE_MAX"), 1);
  EXPECT_EQ(edit_distance("HAKMEM_PURGE", "HAKMEM_MERGE"), 2);
  EXPECT_EQ(edit_distance("HAKMEM_FASTLANE", "HAKMEM_TCACHE"), 6);
}

TEST(CheckAnswer, TemplateIsNotAnAnswer) {
  Ctx c;
  auto ps = check_answer(read_file(golden_path("fixture-topic.answer-template.md")), c.ctx);
  EXPECT_TRUE(has(ps, "ANS-PLACEHOLDER", "unfilled placeholder")) << dump(ps);
  EXPECT_FALSE(has(ps, "ANS-ID-MISSING")) << "the template carries the questionnaire's ID";
  EXPECT_FALSE(has(ps, "ANS-ID-MISMATCH"));
}

TEST(Plan, StepsBecomeRunnerCommands) {
  Ctx c;
  auto steps = ab_steps(c.good);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].go, "1.0");
  EXPECT_EQ(steps[0].metric, "cpu");
  EXPECT_EQ(steps[0].guards, (std::vector<std::string>{"small", "app"}));
  EXPECT_TRUE(steps[1].guards.empty());
  std::string cmds = plan_commands(steps, "good.md");
  EXPECT_NE(cmds.find("hakmem ab --profile mixed --metric cpu --a HAKMEM_FASTLANE=0 --b HAKMEM_FASTLANE=1 --runs 10 "
                      "--guard small --guard app --go 1.0 --nogo -1.0 --box fastlane\n"),
            std::string::npos)
      << cmds;
  EXPECT_NE(cmds.find("hakmem ab --profile ring:50 --metric instr --a HAKMEM_FASTLANE=0 --b HAKMEM_FASTLANE=1 --runs 10 "
                      "--go 1.0 --nogo -1.0 --box fastlane\n"),
            std::string::npos)
      << cmds;
}
