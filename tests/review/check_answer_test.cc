// check-answer on a good answer and on broken variants of it: each problem is found on its line.
#include <algorithm>
#include <sstream>

#include "answer.h"
#include "common.h"

using namespace review_test;
using namespace hm::review;

namespace {

struct Ctx {
  Registry reg = parse_registry(read_file(fixture("registry.json")), "fixture");
  Requirements req = requirements_from_questionnaire(read_file(golden_path("fixture-topic.md")));
  std::string good = read_file(fixture("answers/good.md"));
  std::vector<std::string> profiles;
  Ctx() {
    std::stringstream in(kProfiles);
    for (std::string p; std::getline(in, p, ',');) profiles.push_back(p);
  }
  std::vector<Problem> check(const std::string& md) const { return check_answer(md, reg, req, profiles); }
};

const Ctx& ctx() {
  static const Ctx c;
  return c;
}

int line_of(const std::string& md, const std::string& text) {
  auto at = md.find(text);
  if (at == std::string::npos) return -1;
  return int(std::count(md.begin(), md.begin() + long(at), '\n')) + 1;
}

std::string dump(const std::vector<Problem>& ps) {
  std::string s;
  for (const auto& p : ps) s += std::to_string(p.line) + ": " + p.text + "\n";
  return s;
}

// Replaces `from` (which must occur in the good answer) by `to`, checks, and expects a problem containing
// `expect` on the line where `to` landed (or on `line` when given).
void expect_problem(const std::string& from, const std::string& to, const std::string& expect, int line = 0) {
  std::string md = ctx().good;
  auto at = md.find(from);
  ASSERT_NE(at, std::string::npos) << "fixture lacks: " << from;
  md.replace(at, from.size(), to);
  int want = line ? line : line_of(md, to);
  auto ps = ctx().check(md);
  bool found = std::any_of(ps.begin(), ps.end(), [&](const Problem& p) {
    return p.line == want && p.text.find(expect) != std::string::npos;
  });
  EXPECT_TRUE(found) << "expected on line " << want << ": " << expect << "\ngot:\n" << dump(ps);
}

}  // namespace

TEST(CheckAnswer, RequirementsComeFromTheQuestionnaire) {
  EXPECT_EQ(ctx().req.questions, (std::vector<int>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(ctx().req.candidates, (std::vector<std::string>{"A", "B"}));
}

TEST(CheckAnswer, GoodAnswerPasses) {
  auto ps = ctx().check(ctx().good);
  EXPECT_TRUE(ps.empty()) << dump(ps);
}

TEST(CheckAnswer, MissingSection) {
  std::string md = ctx().good;
  int last = int(std::count(md.begin(), md.end(), '\n'));
  expect_problem("## Risks and roll-back", "## Risks", "missing section `## Risks and roll-back`", last);
}

TEST(CheckAnswer, MissingQuestion) {
  expect_problem("### Q6", "### Notes", "missing answer `### Q6`", line_of(ctx().good, "## Answers"));
}

TEST(CheckAnswer, UnknownBoxMustBeDeclaredNew) {
  expect_problem("| tcache | existing | 4 |", "| tcachex | existing | 4 |", "box 'tcachex' is not in the registry");
}

TEST(CheckAnswer, NewBoxNeedsLayerAndJob) {
  expect_problem("| fastlane | new | 5 |", "| fastlane | new | top |", "new box 'fastlane' needs a numeric layer");
  expect_problem("| fastlane | new | 5 | Serves small malloc and free from the thread's bins in one inlined step. |",
                 "| fastlane | new | 5 |  |", "new box 'fastlane' needs a one-sentence job");
}

TEST(CheckAnswer, BoxInApiOrDiagramMustExist) {
  expect_problem("| fastlane | fastlane_free |", "| fastpath | fastlane_free |", "box 'fastpath' in `## API`");
  expect_problem("L4  [tcache]", "L4  [tcash]", "box 'tcash' in the box diagram");
}

TEST(CheckAnswer, GateNameConventionAndDefault) {
  expect_problem("| HAKMEM_FASTLANE | fastlane | 0 |", "| HAKMEM_FastLane | fastlane | 0 |",
                 "gate name 'HAKMEM_FastLane' does not match");
  expect_problem("| HAKMEM_FASTLANE | fastlane | 0 |", "| HAKMEM_FASTLANE | fastlane |  |",
                 "gate HAKMEM_FASTLANE has no default");
  expect_problem("| HAKMEM_FASTLANE | fastlane | 0 |", "| HAKMEM_FASTLANE | fastlane | 0 |\n| HAKMEM_TCACHE | tcache | 0 |",
                 "gate HAKMEM_TCACHE has default 1 in the registry, not 0",
                 line_of(ctx().good, "| HAKMEM_FASTLANE | fastlane | 0 |") + 1);
  expect_problem("- Phase 2: turn HAKMEM_FASTLANE on", "- Phase 2: turn HAKMEM_FASTLANE_V2 on",
                 "gate HAKMEM_FASTLANE_V2 has no default");
}

TEST(CheckAnswer, ThresholdsAndRunsAreNumbers) {
  expect_problem("| 10 | +1.0 | -1.0 | small, app |", "| 10 | about one | -1.0 | small, app |",
                 "GO threshold 'about one' is not a number");
  expect_problem("| 10 | +1.0 | -1.0 | small, app |", "| 10 | +1.0 | minus one | small, app |",
                 "NO-GO threshold 'minus one' is not a number");
  expect_problem("| 10 | +1.0 | -1.0 | small, app |", "| 10 | -1.0 | +1.0 | small, app |",
                 "GO threshold must be above the NO-GO threshold");
  expect_problem("| 10 | +1.0 | -1.0 | small, app |", "| ten | +1.0 | -1.0 | small, app |", "runs 'ten'");
}

TEST(CheckAnswer, ProfilesMustExist) {
  expect_problem("| mixed | 0 | 1 | 10 |", "| mixed16 | 0 | 1 | 10 |", "profile 'mixed16' is not a profile");
  expect_problem("| small, app |", "| small, apps |", "profile 'apps' is not a profile");
}

TEST(CheckAnswer, NoAbsolutePaths) {
  expect_problem("- Main risk:", "- See /home/user/hakmem_private/docs/x.md\n- Main risk:", "absolute path");
  expect_problem("- Main risk:", "- See ~/hakmem/CURRENT_TASK.md\n- Main risk:", "absolute path");
  // Repo-relative paths, A/B and ops/s are not paths.
  auto ps = ctx().check(ctx().good + "\nSee `alloc/front/front.h`, A/B, ops/s, https://example.org/a/b.\n");
  EXPECT_TRUE(ps.empty()) << dump(ps);
}

TEST(CheckAnswer, QuestionFormats) {
  expect_problem("| 1 | A | high |", "| 1 | A | huge |", "Q1 roi must be low, medium or high");
  expect_problem("Recommended: A", "Recommended: D", "recommended candidate 'D'");
  expect_problem("| 2 | B | medium |", "| 2 | C | medium |", "Q1 ranks unknown candidate 'C'");
  expect_problem("Conversion point: segment.page_of", "Conversion: segment.page_of", "Q2 needs a line `Conversion point:",
                 line_of(ctx().good, "### Q2"));
  expect_problem("- Fallback conditions:", "- Fallback:", "Q3 needs `Fallback conditions:`", line_of(ctx().good, "### Q3"));
  expect_problem("- Phase 2:", "- Later:", "Q4 needs `Phase 2:`", line_of(ctx().good, "### Q4"));
  expect_problem("70% of mimalloc", "most of mimalloc", "Q5 ceiling is not a number");
}

TEST(CheckAnswer, TemplateIsNotAnAnswer) {
  auto ps = ctx().check(read_file(golden_path("fixture-topic.answer-template.md")));
  EXPECT_TRUE(std::any_of(ps.begin(), ps.end(), [](const Problem& p) { return p.text == "unfilled placeholder"; }));
}

TEST(Plan, StepsBecomeRunnerCommands) {
  auto steps = ab_steps(ctx().good);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].go, "1.0");
  EXPECT_EQ(steps[0].guards, (std::vector<std::string>{"small", "app"}));
  EXPECT_TRUE(steps[1].guards.empty());
  std::string cmds = plan_commands(steps, "good.md");
  EXPECT_NE(cmds.find("hakmem ab --profile mixed --a HAKMEM_FASTLANE=0 --b HAKMEM_FASTLANE=1 --runs 10 --guard small "
                      "--guard app --go 1.0 --nogo -1.0 --box fastlane\n"),
            std::string::npos)
      << cmds;
  EXPECT_NE(cmds.find("hakmem ab --profile ring:50 --a HAKMEM_FASTLANE=0 --b HAKMEM_FASTLANE=1 --runs 10 --go 1.0 "
                      "--nogo -1.0 --box fastlane\n"),
            std::string::npos)
      << cmds;
}
