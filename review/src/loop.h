// Closing the loop from answer to decision: the answer's ID that a plan's runs carry into the ledger, the
// decisions record written from those runs, several answers side by side, and the status of the committed
// questionnaires.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "model.h"

namespace hm::review {

// "<topic>:<12 hex digits of the answer's content hash>"; the topic comes from its Questionnaire-ID line.
std::string answer_id(const std::string& answer_md);

// The decisions record of an answer: each A/B step of its plan with the ledger runs made for it (same answer
// ID and phase) and the decision they support under the policy. A generated block between a begin and an end
// marker naming the answer ID.
std::string render_record(const std::string& answer_md, const std::string& answer_name, const Ledger& ledger,
                          const Policy& policy);
inline const char* kRecordMarker = "<!-- hakmem review record ";
// The topic's decisions file with the answer's block put in: replaced where the file has one for the same
// answer ID, else appended; hand-written text is kept. An empty file gets a title first.
std::string merge_record(const std::string& decisions_md, const std::string& block, const std::string& answer_id,
                         const std::string& topic);
int generated_records(const std::string& decisions_md);

// Several reviewers' rankings, recommendations and plans side by side (name, Markdown).
std::string render_compare(const std::vector<std::pair<std::string, std::string>>& answers);

struct QuestionnaireStatus {
  std::string topic, path, commit;  // path repo-relative; commit as recorded (12 digits, maybe +dirty)
  int behind = -1;                  // commits between it and HEAD; -1 when unknown
  bool has_id = false;
  std::vector<std::string> answers;  // repo-relative
  std::string decisions;             // repo-relative, "" when none
  int generated_records = 0;        // blocks written by `hakmem review record`
};
std::string render_status(const std::vector<QuestionnaireStatus>& rows, const std::string& head);

}  // namespace hm::review
