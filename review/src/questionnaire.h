// Rendering the questionnaire and its answer template from the live state.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "graph.h"
#include "identity.h"
#include "model.h"

namespace hm::review {

struct Inputs {
  Registry reg;
  Ledger ledger;
  Topic topic;
  GitState git;
  std::string date;  // YYYY-MM-DD
  std::optional<Hotspots> hotspots;
  std::string hotspot_note;  // why there are none, when there are none
  GraphCheck graph;
  std::string tree;  // source tree scanned for headers and includes
  std::vector<std::string> profiles;
  Policy policy;  // runs and thresholds quoted in the etiquette and the template
  std::string out_dir = "docs/questionnaire";  // repo-relative, as printed in the documents
  std::string graph_dir = "docs/boxes";
};

// Both carry the questionnaire's ID (identity.h) on their `Questionnaire-ID:` line.
std::string render_questionnaire(const Inputs& in);
std::string render_answer_template(const Inputs& in);
Identity questionnaire_id(const Inputs& in);

// ---- shared by the question bank and the renderer ----
std::string fmt_ops(double ops);
std::string fmt_num(double v, int decimals);
std::string fmt_count(double v);  // whole number with thousands separators
std::string fmt_pct(double pct);  // signed, 2 decimals, with %
std::string fmt_threshold(double pct);  // signed, 1 decimal, with %
std::string short_commit(const std::string& c);

// The measured gap between hakmem and the topic's reference allocator on the headline profile.
struct Gap {
  const LedgerEntry* entry = nullptr;
  const SbsResult* hakmem = nullptr;
  const SbsResult* reference = nullptr;
  std::string citation;  // "`bench/ledger/ledger.jsonl` line 3 (sbs, profile mixed, 2026-...)"
};
Gap measured_gap(const Inputs& in);
// "hakmem leads X by +N% (...)" or "hakmem trails X: 0.9x of its throughput; parity needs +N% (...)".
std::string lead_text(const Gap& g, const std::string& reference);

// A ledger line as the kit states it, and a text with its {ledger:N} citations rendered that way.
std::string ledger_summary(const Inputs& in, int line);
std::string render_citations(const Inputs& in, const std::string& text);

std::string box_chain(const Inputs& in);  // "front (L5) → tcache (L4) → ..."
std::vector<const Box*> topic_boxes(const Inputs& in);

// The question bank: built-ins Q1..Q5 (fixed numbers) and the topic's extra questions (Q6 on).
std::string render_questions(const Inputs& in);

}  // namespace hm::review
