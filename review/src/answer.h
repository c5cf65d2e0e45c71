// The answer format (shared by the questionnaire, the template and the checker), the answer checker
// and the A/B planner.
#pragma once

#include <string>
#include <vector>

#include "model.h"

namespace hm::review {

// Level-2 sections of an answer, in order. "Answers" holds one "### Qn" per question.
inline const std::vector<std::string> kAnswerSections = {"Summary", "Answers", "Box diagram", "Boxes", "API",
                                                          "Gates",   "A/B plan", "Risks and roll-back"};

// Table columns, in order, of the sections that hold tables.
inline const std::vector<std::string> kBoxesColumns = {"box", "status", "layer", "job"};
inline const std::vector<std::string> kApiColumns = {"box", "function", "arguments", "return"};
inline const std::vector<std::string> kGatesColumns = {"gate", "box", "default", "meaning"};
inline const std::vector<std::string> kPlanColumns = {"phase", "box",  "gate",    "profile", "a",
                                                      "b",     "runs", "go %", "no-go %", "guards"};
inline const std::vector<std::string> kQ1Columns = {"rank", "candidate", "roi", "risk", "effort", "reason"};

// Line labels the built-in questions require in their answers.
inline const char* kRecommended = "Recommended:";
inline const char* kConversionPoint = "Conversion point:";
inline const std::vector<std::string> kQ3Labels = {"Fast-path entry conditions:", "Fallback conditions:",
                                                   "Invariants:"};
inline const std::vector<std::string> kQ4Labels = {"Phase 0:", "Phase 1:", "Phase 2:"};
inline const char* kCeiling = "Ceiling with current layers:";
inline const char* kMergeOrRemove = "Merge or remove:";

struct Problem {
  int line;
  std::string text;
};

struct Requirements {
  std::vector<int> questions = {1, 2, 3, 4, 5};  // "### Qn" required under "## Answers"
  std::vector<std::string> candidates;           // Q1 candidate IDs ("" = any)
};

// Reads the required questions and Q1 candidates from a generated questionnaire.
Requirements requirements_from_questionnaire(const std::string& questionnaire_md);

std::vector<Problem> check_answer(const std::string& answer_md, const Registry& reg, const Requirements& req,
                                  const std::vector<std::string>& profiles);

struct AbStep {
  int line = 0;
  std::string phase, box, gate, profile, a, b, runs, go, nogo;
  std::vector<std::string> guards;
};
std::vector<AbStep> ab_steps(const std::string& answer_md);
// One `hakmem ab ...` command per step, each preceded by a comment naming the phase and source line.
std::string plan_commands(const std::vector<AbStep>& steps, const std::string& answer_name);

}  // namespace hm::review
