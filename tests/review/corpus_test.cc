// The answer corpus: every file of fixtures/answers/broken/ holds one defect, named on its first line
// (`<!-- defect RULE line N: ... -->`); the checker must report that rule on that line and no error of
// another rule elsewhere. The good answers (fixtures/answers/good.md and good/) pass with no finding, and
// every error rule of kRules has a broken answer.
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "answer.h"
#include "common.h"

using namespace review_test;
using namespace hm::review;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  Registry reg = parse_registry(read_file(fixture("registry.json")), "fixture");
  Ledger ledger = load_ledger(fixture("ledger.jsonl"), "tests/review/fixtures/ledger.jsonl");
  CheckContext ctx;
  Fixture() {
    ctx.reg = &reg;
    std::stringstream in(kProfiles);
    for (std::string p; std::getline(in, p, ',');) ctx.profiles.push_back(p);
    ctx.questionnaire = read_questionnaire(read_file(golden_path("fixture-topic.md")));
    ctx.ledger = &ledger;
    ctx.policy = load_policy(fixture("policy.json"), "tests/review/fixtures/policy.json");
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

std::vector<fs::path> files(const std::string& dir) {
  std::vector<fs::path> v;
  for (const auto& e : fs::directory_iterator(fixture(dir)))
    if (e.path().extension() == ".md") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST(AnswerCorpus, EveryBrokenAnswerIsRejectedWithItsRuleAndLine) {
  Fixture f;
  auto broken = files("answers/broken");
  ASSERT_GE(broken.size(), 30u);
  std::set<std::string> covered;
  static const std::regex head(R"(<!-- defect (ANS-[A-Z-]+) line ([0-9]+): .* -->)");
  for (const auto& path : broken) {
    std::string md = read_file(path.string());
    std::smatch m;
    std::string first = md.substr(0, md.find('\n'));
    ASSERT_TRUE(std::regex_match(first, m, head)) << path.filename() << " lacks its defect line";
    std::string rule = m[1].str();
    int line = std::stoi(m[2].str());
    covered.insert(rule);
    auto ps = check_answer(md, f.ctx);
    bool found = false;
    for (const auto& p : ps) {
      if (p.warning) continue;
      found = found || (p.rule == rule && p.line == line);
      EXPECT_TRUE(p.rule == rule || p.line == line)
          << path.filename() << ": a second defect reported: " << p.line << ": " << p.rule << ": " << p.text;
    }
    EXPECT_TRUE(found) << path.filename() << ": expected " << rule << " on line " << line << "\ngot:\n" << dump(ps);
  }
  for (const auto& r : kRules)
    if (!r.warning) EXPECT_TRUE(covered.count(r.id)) << "no broken answer covers " << r.id;
}

TEST(AnswerCorpus, GoodAnswersPass) {
  Fixture f;
  auto good = files("answers/good");
  good.push_back(fixture("answers/good.md"));
  ASSERT_GE(good.size(), 3u);
  for (const auto& path : good) {
    auto ps = check_answer(read_file(path.string()), f.ctx);
    EXPECT_TRUE(ps.empty()) << path.filename() << ":\n" << dump(ps);
  }
}

TEST(AnswerCorpus, EveryReportedRuleIsDeclared) {
  Fixture f;
  std::set<std::string> ids;
  for (const auto& r : kRules) ids.insert(r.id);
  EXPECT_EQ(ids.size(), kRules.size()) << "duplicate rule ID";
  for (const auto& path : files("answers/broken"))
    for (const auto& p : check_answer(read_file(path.string()), f.ctx))
      EXPECT_TRUE(ids.count(p.rule)) << p.rule << " is not in kRules";
}
