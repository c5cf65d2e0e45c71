// Answer IDs, decisions records, side-by-side comparison of answers, questionnaire status (loop.h).
#include "loop.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "answer.h"
#include "doc.h"
#include "identity.h"
#include "questionnaire.h"

namespace hm::review {

namespace {

std::string topic_of(const std::string& md) {
  if (auto idl = find_id_line(md))
    if (auto id = parse_id(idl->second)) return id->topic;
  return "unknown";
}

std::string recommended(const Doc& d) {
  if (const auto* q1 = question(d, 1))
    if (auto r = labelled(d, q1->line, q1->end, kRecommended)) return unquote(r->second);
  return "—";
}

std::string ranking(const Doc& d) {
  const auto* q1 = question(d, 1);
  if (!q1) return "—";
  auto t = table_in(d, q1->line, q1->end);
  if (!t) return "—";
  std::vector<std::pair<double, std::string>> v;
  for (const auto& r : t->rows) v.push_back({number(cell(r, "rank")).value_or(1e9), cell(r, "candidate")});
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string s;
  for (const auto& [rank, c] : v) s += (s.empty() ? "" : " > ") + c;
  return s.empty() ? "—" : s;
}

std::string step_text(const AbStep& s) {
  return s.gate + " " + s.a + " → " + s.b + " on " + s.profile + " (" + s.metric + ", " + s.runs + " runs, GO " + s.go +
         "%, NO-GO " + s.nogo + "%)";
}

std::string pct(const std::optional<double>& r) { return r ? fmt_pct((*r - 1.0) * 100.0) : "n/a"; }

}  // namespace

std::string answer_id(const std::string& md) { return topic_of(md) + ":" + fnv64_hex(md).substr(0, 12); }

std::string render_record(const std::string& md, const std::string& name, const Ledger& ledger, const Policy& policy) {
  Doc d = parse(md);
  std::string id = answer_id(md), topic = topic_of(md);
  std::ostringstream o;
  o << kRecordMarker << " " << name << "`; do not edit by hand, regenerate. -->\n";
  o << "# Decisions: " << topic << "\n\n";
  o << "- Answer: `" << name << "` (answer ID `" << id << "`)\n";
  if (auto idl = find_id_line(md)) o << "- Questionnaire answered: `" << idl->second << "`\n";
  o << "- Ranking: " << ranking(d) << "; recommended: " << recommended(d) << "\n";
  o << "- Ledger: `" << ledger.display << "`; policy: " << policy.source << " (at least " << policy.min_runs
    << " pairs for a decision)\n\n";
  o << "A step is decided when its latest run (made by `hakmem review plan` for this answer and phase) is a "
       "confident verdict of enough pairs: GO adopts side b, NO-GO keeps side a; anything else is measured again.\n\n";
  o << "| phase | step | runs in the ledger | latest B/A | verdict | confident | decision |\n"
       "|---|---|---|---|---|---|---|\n";
  int decided = 0;
  auto steps = ab_steps(md);
  for (const auto& s : steps) {
    std::vector<const LedgerEntry*> runs;
    for (const auto& e : ledger.entries)
      if (e.kind == "ab" && e.answer == id && e.phase == s.phase && e.profile == s.profile && e.metric == s.metric &&
          e.gate == s.gate)
        runs.push_back(&e);
    std::string lines, decision = "not run yet";
    for (const auto* e : runs) lines += (lines.empty() ? "" : ", ") + std::to_string(e->line);
    const LedgerEntry* last = runs.empty() ? nullptr : runs.back();
    if (last) {
      bool firm = last->confident && last->a_runs >= policy.min_runs;
      if (firm && last->verdict == "GO") decision = "adopt b (" + side_assignments(s, s.b) + ")";
      else if (firm && last->verdict == "NO-GO") decision = "keep a (" + side_assignments(s, s.a) + "); NO-GO by the " + last->reason;
      else decision = "measure again";
      decided += firm && last->verdict != "NEUTRAL";
    }
    o << "| " << s.phase << " | " << step_text(s) << " | " << (lines.empty() ? "—" : lines) << " | "
      << (last ? pct(last->ratio_median) : "—") << " | " << (last ? last->verdict : "—") << " | "
      << (last ? (last->confident ? "yes" : "no") : "—") << " | " << decision << " |\n";
  }
  o << "\n" << decided << " of " << steps.size() << " step" << (steps.size() == 1 ? "" : "s") << " decided.\n";
  return o.str();
}

std::string render_compare(const std::vector<std::pair<std::string, std::string>>& answers) {
  std::ostringstream o;
  o << "| | ";
  for (const auto& [name, md] : answers) o << "`" << name << "` | ";
  o << "\n|---|";
  for (size_t i = 0; i < answers.size(); ++i) o << "---|";
  o << "\n";
  std::vector<Doc> docs;
  for (const auto& a : answers) docs.push_back(parse(a.second));
  auto row = [&](const std::string& label, auto fn) {
    o << "| " << label << " | ";
    for (size_t i = 0; i < answers.size(); ++i) o << fn(i) << " | ";
    o << "\n";
  };
  row("topic", [&](size_t i) { return topic_of(answers[i].second); });
  row("ranking (Q1)", [&](size_t i) { return ranking(docs[i]); });
  row("recommended", [&](size_t i) { return recommended(docs[i]); });
  row("conversion point (Q2)", [&](size_t i) {
    const auto* q = question(docs[i], 2);
    auto cp = q ? labelled(docs[i], q->line, q->end, kConversionPoint) : std::nullopt;
    return cp ? cp->second : std::string("—");
  });
  row("ceiling (Q5)", [&](size_t i) {
    const auto* q = question(docs[i], 5);
    auto c = q ? labelled(docs[i], q->line, q->end, kCeiling) : std::nullopt;
    return c ? c->second : std::string("—");
  });
  size_t most = 0;
  std::vector<std::vector<AbStep>> plans;
  for (const auto& a : answers) {
    plans.push_back(ab_steps(a.second));
    most = std::max(most, plans.back().size());
  }
  for (size_t k = 0; k < most; ++k)
    row("A/B step " + std::to_string(k + 1), [&](size_t i) {
      return k < plans[i].size() ? "phase " + plans[i][k].phase + ": " + step_text(plans[i][k]) : std::string("—");
    });
  std::map<std::string, int> votes;
  for (const auto& d : docs) ++votes[recommended(d)];
  o << "\nRecommendations:";
  for (const auto& [c, n] : votes) o << " " << c << " " << n << "×";
  o << " (of " << answers.size() << " answers).\n";
  return o.str();
}

std::string render_status(const std::vector<QuestionnaireStatus>& rows, const std::string& head) {
  std::ostringstream o;
  o << "Questionnaires against HEAD " << head << ":\n\n| topic | questionnaire | commit | behind HEAD | answers | decisions |\n"
       "|---|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    std::string answers;
    for (const auto& a : r.answers) answers += (answers.empty() ? "" : ", ") + ("`" + a + "`");
    o << "| " << r.topic << " | `" << r.path << "` | " << r.commit << (r.has_id ? "" : " (no ID)") << " | "
      << (r.behind < 0 ? std::string("unknown") : std::to_string(r.behind) + " commit" + (r.behind == 1 ? "" : "s"))
      << " | " << (answers.empty() ? "none" : answers) << " | "
      << (r.decisions.empty() ? "none" : "`" + r.decisions + "`" + (r.decisions_generated ? " (generated)" : " (by hand)"))
      << " |\n";
  }
  return o.str();
}

}  // namespace hm::review
