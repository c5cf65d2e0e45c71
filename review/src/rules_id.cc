// Identity rules: an answer names the questionnaire it answers (`Questionnaire-ID:`); another topic or
// commit is an error, a questionnaire older than the registry or ledger it describes a warning.
#include <algorithm>
#include <vector>

#include "answer.h"
#include "doc.h"

namespace hm::review {

int edit_distance(const std::string& a, const std::string& b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = int(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = int(i);
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

void check_identity(const Doc& d, const CheckContext& ctx, Add p) {
  auto add = [&](int line, const std::string& rule, const std::string& text, bool warn = false) {
    p.push_back({line, text, rule, warn});
  };
  std::string md;
  for (const auto& l : d.lines) md += l + "\n";
  auto idl = find_id_line(md);
  if (!idl) {
    add(1, "ANS-ID-MISSING", std::string("no `") + kIdLabel + "` line: copy it from the answer template");
    return;
  }
  auto id = parse_id(idl->second);
  if (!id) {
    add(idl->first, "ANS-ID-MISSING", "malformed questionnaire ID '" + idl->second + "'");
    return;
  }
  if (!ctx.questionnaire || !ctx.questionnaire->id) return;
  const QuestionnaireInfo& q = *ctx.questionnaire;
  const Identity& qi = *q.id;
  if (id->topic != qi.topic)
    add(idl->first, "ANS-ID-TOPIC", "the answer is for topic " + id->topic + ", the questionnaire is " + qi.topic);
  else if (id->commit != qi.commit)
    add(idl->first, "ANS-ID-COMMIT", "the answer is for commit " + id->commit + ", the questionnaire was generated at " + qi.commit);
  else if (!(*id == qi))
    add(idl->first, "ANS-ID-MISMATCH", "the answer's ID does not match the questionnaire's (" + format_id(qi) +
                                           "): it answers another version of it");
  if (q.edited) add(idl->first, "ANS-ID-EDITED", "the questionnaire's text does not match its content hash", true);
  std::vector<std::string> changed;
  if (!ctx.registry_hash.empty() && ctx.registry_hash != qi.registry && ctx.reg) {
    for (const auto& g : ctx.reg->gates)
      if (!q.listed_gates.empty() && !q.listed_gates.count(g.name)) changed.push_back("new gate " + g.name);
    for (const auto& g : q.listed_gates)
      if (!ctx.reg->gate(g)) changed.push_back("gate " + g + " gone");
    if (changed.empty()) changed.push_back("boxes, gate defaults or ranges, or invariants changed");
  }
  if (ctx.ledger_entries > qi.ledger) {
    std::string what = "the ledger has " + std::to_string(ctx.ledger_entries - qi.ledger) + " newer entr" +
                       (ctx.ledger_entries - qi.ledger == 1 ? "y" : "ies");
    if (ctx.ledger && int(ctx.ledger->entries.size()) == ctx.ledger_entries && qi.ledger >= 0)
      what += " (lines " + std::to_string(ctx.ledger->entries[size_t(qi.ledger)].line) + "–" +
              std::to_string(ctx.ledger->entries.back().line) + " of `" + ctx.ledger->display + "`)";
    changed.push_back(what);
  }
  if (!changed.empty()) {
    std::string what;
    for (const auto& c : changed) what += (what.empty() ? "" : "; ") + c;
    add(idl->first, "ANS-ID-STALE", "the questionnaire is older than what it describes: " + what + "; regenerate it", true);
  }
}

}  // namespace hm::review
