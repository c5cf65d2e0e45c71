// Command-line hygiene of hakmem-review: per-command help, unknown options and commands are errors, and
// outside a git repository (without --repo) the tool says so instead of guessing a root.
#include <filesystem>

#include "common.h"

using namespace review_test;

TEST(ReviewCli, EveryCommandHasItsOwnHelp) {
  std::string tmp = temp_dir("help");
  for (const char* cmd : {"questionnaire", "graph", "check-answer", "plan", "record", "compare", "status"}) {
    CliRun r = review(std::string(cmd) + " --help", tmp);
    EXPECT_EQ(r.rc, 0) << cmd << ": " << r.err;
    EXPECT_EQ(r.out.rfind(std::string("usage: hakmem review ") + cmd, 0), 0u) << r.out;
  }
  CliRun top = review("--help", tmp);
  EXPECT_EQ(top.rc, 0);
  EXPECT_NE(top.out.find("check-answer"), std::string::npos);
  std::filesystem::remove_all(tmp);
}

TEST(ReviewCli, UnknownOptionsAndCommandsAreErrors) {
  std::string tmp = temp_dir("unknown");
  CliRun r = review("check-answer " + fixture("answers/good.md") + " --questionaire " +
                        golden_path("fixture-topic.md") + " --registry " + fixture("registry.json"),
                    tmp);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("unknown option '--questionaire'"), std::string::npos) << r.err;
  EXPECT_EQ(review("plan x.md --runs 3", tmp).rc, 2);
  EXPECT_EQ(review("graph --check=1", tmp).rc, 2);  // a flag takes no value
  CliRun c = review("chek-answer x.md", tmp);
  EXPECT_EQ(c.rc, 2);
  EXPECT_NE(c.err.find("unknown command 'chek-answer'"), std::string::npos) << c.err;
  CliRun v = review("questionnaire --topic", tmp);
  EXPECT_EQ(v.rc, 2);
  EXPECT_NE(v.err.find("--topic needs a value"), std::string::npos) << v.err;
  std::filesystem::remove_all(tmp);
}

TEST(ReviewCli, OutsideAGitRepositoryIsAClearError) {
  std::string tmp = temp_dir("nogit");
  std::string cmd = "cd '" + tmp + "' && GIT_CEILING_DIRECTORIES='" + tmp + "' '" + REVIEW_BIN +
                    "' check-answer '" + fixture("answers/good.md") + "' >out.txt 2>err.txt";
  int st = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 2);
  std::string err = hm::review::read_file(tmp + "/err.txt");
  EXPECT_NE(err.find("not inside a git repository"), std::string::npos) << err;
  EXPECT_NE(err.find("--repo DIR"), std::string::npos) << err;
  std::filesystem::remove_all(tmp);
}

TEST(ReviewCli, CheckAnswerFindsTheQuestionnaireByItsId) {
  std::string tmp = temp_dir("byid");
  std::filesystem::create_directories(tmp + "/repo/docs/questionnaire");
  std::filesystem::copy_file(golden_path("fixture-topic.md"), tmp + "/repo/docs/questionnaire/fixture-topic.md");
  std::string common = " --repo " + tmp + "/repo --registry " + fixture("registry.json") + " --profiles " + kProfiles;
  CliRun good = review("check-answer " + fixture("answers/good.md") + common, tmp);
  EXPECT_EQ(good.rc, 0) << good.err;
  EXPECT_EQ(good.err, "");
  // The questionnaire found by ID supplies the candidates: an unknown one is caught without --questionnaire.
  CliRun bad = review("check-answer " + fixture("answers/broken/35-candidate-unknown.md") + common, tmp);
  EXPECT_EQ(bad.rc, 1);
  EXPECT_NE(bad.err.find("ANS-CANDIDATE"), std::string::npos) << bad.err;
  // An answer naming a topic with no questionnaire is checked with a warning saying so.
  CliRun other = review("check-answer " + fixture("answers/broken/08-id-other-topic.md") + common, tmp);
  EXPECT_NE(other.err.find("no questionnaire given or found by the answer's ID"), std::string::npos) << other.err;
  std::filesystem::remove_all(tmp);
}
