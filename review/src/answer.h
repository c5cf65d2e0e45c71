// The answer format (shared by the questionnaire, the template and the checker), the answer checker
// and the A/B planner.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "identity.h"
#include "model.h"

namespace hm::review {

// Level-2 sections of an answer, in order. "Answers" holds one "### Qn" per question.
inline const std::vector<std::string> kAnswerSections = {"Summary", "Answers", "Box diagram", "Boxes", "API",
                                                          "Gates",   "A/B plan", "Risks and roll-back"};

// Table columns, in order, of the sections that hold tables.
inline const std::vector<std::string> kBoxesColumns = {"box", "status", "layer", "job"};
inline const std::vector<std::string> kApiColumns = {"box", "function", "arguments", "return"};
inline const std::vector<std::string> kGatesColumns = {"gate", "status", "box", "default", "meaning"};
inline const std::vector<std::string> kPlanColumns = {"phase", "box", "gate", "profile", "metric", "a",
                                                      "b",     "runs", "go %", "no-go %", "guards"};
inline const std::vector<std::string> kQ1Columns = {"rank", "candidate", "roi", "risk", "effort", "reason"};
inline const std::vector<std::string> kMetrics = {"cpu", "wall", "instr", "rss"};

// Line labels the built-in questions require in their answers.
inline const char* kRecommended = "Recommended:";
inline const char* kConversionPoint = "Conversion point:";
inline const std::vector<std::string> kQ3Labels = {"Fast-path entry conditions:", "Fallback conditions:",
                                                   "Invariants:"};
inline const std::vector<std::string> kQ4Labels = {"Phase 0:", "Phase 1:", "Phase 2:"};
inline const char* kCeiling = "Ceiling with current layers:";
inline const char* kMergeOrRemove = "Merge or remove:";
inline const char* kIdLabel = "Questionnaire-ID:";
inline const char* kNewEvidence = "New evidence:";
inline const char* kNewFiles = "New files:";

// One finding: the rule that fired (a stable ID such as ANS-PLACEHOLDER), its 1-based line and message.
// Warnings are printed but do not fail the check.
struct Problem {
  int line;
  std::string text;
  std::string rule;
  bool warning = false;
};

// Every rule the checker applies, with its ID and what it rejects (docs and tests read this list).
struct Rule {
  const char* id;
  bool warning;
  const char* what;
};
inline const std::vector<Rule> kRules = {
    {"ANS-ID-MISSING", false, "no or malformed `Questionnaire-ID:` line"},
    {"ANS-ID-TOPIC", false, "the answer names another topic than the questionnaire"},
    {"ANS-ID-COMMIT", false, "the answer names another commit than the questionnaire"},
    {"ANS-ID-MISMATCH", false, "same topic and commit, another version of the questionnaire"},
    {"ANS-ID-STALE", true, "the questionnaire is older than the registry or ledger it describes"},
    {"ANS-ID-EDITED", true, "the questionnaire's text does not match its content hash"},
    {"ANS-SECTION", false, "a level-2 section missing, out of order or empty"},
    {"ANS-QUESTION", false, "a required `### Qn` missing"},
    {"ANS-FORMAT", false, "a question's required table, line or value missing"},
    {"ANS-CANDIDATE", false, "a candidate that is not the questionnaire's, or one left unranked"},
    {"ANS-RANKING", false, "`Recommended:` contradicts the Q1 ranking"},
    {"ANS-TABLE", false, "a section's table missing, lacking a column or rows"},
    {"ANS-BOX", false, "a box (in a table, the diagram or a path) neither registered nor declared new"},
    {"ANS-DIAGRAM", false, "the box diagram outside a code block"},
    {"ANS-GATE-NAME", false, "a gate name off `HAKMEM_[A-Z0-9_]+`"},
    {"ANS-GATE-DEFAULT", false, "a gate without a default, or with another default than the registry's"},
    {"ANS-GATE-STATUS", false, "a gate's status (existing, changed, new) contradicts the registry"},
    {"ANS-GATE-TYPO", false, "a new gate within two edits of an existing one"},
    {"ANS-GATE-UNKNOWN", false, "a gate neither registered, declared in `## Gates` nor named by the questionnaire"},
    {"ANS-PROFILE", false, "an A/B or guard profile the runner lacks"},
    {"ANS-AB-METRIC", false, "an A/B row without a metric cpu, wall, instr or rss"},
    {"ANS-AB-SIDE", false, "an A/B side that is not a gate setting (two builds, a preload)"},
    {"ANS-AB-RANGE", false, "an A/B value outside the gate's registered range"},
    {"ANS-AB-SAME", false, "an A/B whose sides are the same setting"},
    {"ANS-AB-RUNS", false, "runs not a whole number, or below the policy minimum"},
    {"ANS-AB-THRESHOLD", false, "thresholds not numbers, or GO not above NO-GO"},
    {"ANS-AB-NOISE", false, "a threshold inside the measured noise of its profile and metric or the policy floor"},
    {"ANS-NOGO-REPEAT", false, "a \"Do not propose\" NO-GO proposed again without a `New evidence:` line"},
    {"ANS-ABS-PATH", false, "an absolute path (system paths /proc, /sys, /dev excepted)"},
    {"ANS-PATH", false, "a repo path that does not exist and is not declared on a `New files:` line"},
    {"ANS-PLACEHOLDER", false, "an unfilled placeholder: <...>, TBD, TODO, FIXME, XXX, an ellipsis, an empty cell"},
    {"ANS-LEDGER-CITE", false, "a figure that is not what the cited ledger line says, or no such line"},
};

struct Requirements {
  std::vector<int> questions = {1, 2, 3, 4, 5};  // "### Qn" required under "## Answers"
  std::vector<std::string> candidates;           // Q1 candidate IDs ("" = any)
};

// What the checker learns from the generated questionnaire an answer answers.
struct QuestionnaireInfo {
  Requirements req;
  std::optional<Identity> id;
  bool edited = false;                 // its content hash does not match its text
  std::vector<std::string> banned;     // "HAKMEM_X=v" sides of section 3.3 "Do not propose"
  std::set<std::string> cited_gates;   // every HAKMEM_* it names (retired gates of its lists included)
  std::set<std::string> listed_gates;  // gates of its gate table (section 3.5)
};
QuestionnaireInfo read_questionnaire(const std::string& questionnaire_md);
// Reads the required questions and Q1 candidates from a generated questionnaire.
Requirements requirements_from_questionnaire(const std::string& questionnaire_md);

// Everything a check needs besides the answer. Null or empty members switch their rules off.
struct CheckContext {
  const Registry* reg = nullptr;
  std::vector<std::string> profiles;
  std::optional<QuestionnaireInfo> questionnaire;
  const Ledger* ledger = nullptr;  // cited lines and measured noise
  Policy policy;
  std::string repo;               // repo root for repo paths; "" = not checked
  std::string registry_hash;      // of the registry checked against, for staleness
  int ledger_entries = -1;        // current ledger length, for staleness
};

std::vector<Problem> check_answer(const std::string& answer_md, const CheckContext& ctx);
// The structural rules only (sections, questions, tables), as before identity and substance.
std::vector<Problem> check_answer(const std::string& answer_md, const Registry& reg, const Requirements& req,
                                  const std::vector<std::string>& profiles);

struct AbStep {
  int line = 0;
  std::string phase, box, gate, profile, metric, a, b, runs, go, nogo;
  std::vector<std::string> guards;
};
std::vector<AbStep> ab_steps(const std::string& answer_md);
// `HAKMEM_X=v[,HAKMEM_Y=w]` for a side given as a value of the step's gate or as assignments.
std::string side_assignments(const AbStep& s, const std::string& side);
// One `hakmem ab ...` command per step, each preceded by a comment naming the phase and source line; with an
// answer ID (loop.h) each command passes it and its phase on, so the ledger entries name them.
std::string plan_commands(const std::vector<AbStep>& steps, const std::string& answer_name,
                          const std::string& answer_id = "");

// ---- rule groups (answer.cc runs them in turn) ----
struct Doc;
using Add = std::vector<Problem>&;
void check_identity(const Doc& d, const CheckContext& ctx, Add p);
void check_plan(const Doc& d, const CheckContext& ctx, const std::set<std::string>& boxes,
                const std::set<std::string>& gates, Add p);
void check_text(const Doc& d, const CheckContext& ctx, const std::set<std::string>& boxes,
                const std::set<std::string>& gates, const std::set<std::string>& new_boxes, Add p);
int edit_distance(const std::string& a, const std::string& b);

}  // namespace hm::review
