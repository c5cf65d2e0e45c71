// The question bank: the five built-in questions, parameterised by the live state, and a topic's own questions.
#include <algorithm>
#include <sstream>

#include "answer.h"
#include "questionnaire.h"

namespace hm::review {

namespace {

std::string gap_sentence(const Inputs& in) {
  Gap g = measured_gap(in);
  if (!g.entry)
    return "The ledger has no side-by-side measurement of profile `" + in.topic.profile +
           "` yet; state the gap you assume as an assumption.";
  if (!g.hakmem || !g.reference || g.hakmem->ops_per_s <= 0 || g.reference->ops_per_s <= 0)
    return "The latest side-by-side of profile `" + in.topic.profile + "` (" + g.citation + ") lacks hakmem or " +
           in.topic.reference + "; state the gap you assume as an assumption.";
  std::string s = "Measured on profile `" + in.topic.profile + "`: hakmem " + fmt_ops(g.hakmem->ops_per_s) +
                  " ops/s vs " + in.topic.reference + " " + fmt_ops(g.reference->ops_per_s) + " ops/s; " +
                  lead_text(g, in.topic.reference);
  if (g.hakmem->instr_per_op && g.reference->instr_per_op)
    s += "; instructions per op " + fmt_num(*g.hakmem->instr_per_op, 1) + " vs " + fmt_num(*g.reference->instr_per_op, 1);
  return s + ". Source: " + g.citation + ".";
}

std::string hotspot_sentence(const Inputs& in) {
  if (!in.hotspots || in.hotspots->per_box.empty() || in.hotspots->total <= 0) return "";
  std::string s = " Largest instruction shares by box (section 2.3): ";
  size_t n = std::min<size_t>(3, in.hotspots->per_box.size());
  for (size_t i = 0; i < n; ++i) {
    const auto& [b, ir] = in.hotspots->per_box[i];
    s += (i ? ", " : "") + b + " " + fmt_num(ir * 100.0 / in.hotspots->total, 2) + "%";
  }
  return s + ".";
}

void q1(std::ostringstream& o, const Inputs& in) {
  o << "### Q1. Which design next: rank the candidates (required)\n\n"
    << "Rank these " << in.topic.candidates.size() << " candidates by ROI, risk and effort, and recommend exactly "
    << "one. " << gap_sentence(in) << hotspot_sentence(in) << "\n\n";
  for (const auto& c : in.topic.candidates) o << "- " << c.id << ") " << c.title << ": " << c.text << "\n";
  o << "\nAnswer format: a table | rank | candidate | ROI | risk | effort | reason | with one row per candidate "
       "(candidate = its ID; ROI, risk and effort each low, medium or high), then one line `"
    << kRecommended << " <ID>`.\n\n";
}

void q2(std::ostringstream& o, const Inputs& in) {
  o << "### Q2. Box split of the recommended design (required)\n\n"
    << "Boxes on this path today: " << box_chain(in) << ". Give the boxes the design needs — existing, changed or "
    << "new — each with its layer (0–" << in.reg.max_layer() + 1 << "; a box depends only on lower layers), a "
    << "one-sentence job, and its boundary API (function, arguments, return). Say where the single conversion "
    << "point sits (pointer → metadata, size → class): one box, one function.\n\n"
    << "Answer format: fill `## Boxes` and `## API` (section 5); here, one line `" << kConversionPoint
    << " <box>.<function>` and at most five bullets of rationale.\n\n";
}

void q3(std::ostringstream& o, const Inputs& in) {
  o << "### Q3. Fail-fast and safety gates (required)\n\n"
    << "State the minimal conditions for entering the fast path, the conditions that must always fall back "
    << "to the cold path, and the minimal invariants to check (assert, range check, one-shot log). Invariants "
    << "already enforced on this path:\n\n";
  bool any = false;
  for (const Box* b : topic_boxes(in))
    for (const auto& inv : in.reg.invariants)
      if (inv.box == b->name) {
        any = true;
        o << "- `" << inv.id << "` (" << inv.box << ", " << inv.cost << "): " << inv.text << "\n";
      }
  if (!any) o << "- (none registered for the topic's boxes)\n";
  o << "\nMisuse the allocator already reports on this path: ";
  std::string kinds;
  for (const auto& e : in.reg.errors)
    for (const Box* b : topic_boxes(in))
      if (e.box == b->name) kinds += (kinds.empty() ? "" : ", ") + e.kind + " (" + e.box + ", `" + e.invariant + "`)";
  o << (kinds.empty() ? "none" : kinds) << ".\n\n"
    << "Answer format: three bullet lists labelled `" << kQ3Labels[0] << "`, `" << kQ3Labels[1] << "` and `"
    << kQ3Labels[2] << "`; each invariant is an existing ID or `new: <text> (O(1)|O(n))`.\n\n";
}

void q4(std::ostringstream& o, const Inputs& in) {
  const Policy& s = in.policy;
  o << "### Q4. Reversible rollout plan (required)\n\n"
    << "Give small patches in order, phase 0 to 2, each behind a gate that is off by default until its A/B says "
       "GO. Existing gates of the topic's boxes: ";
  std::string gates;
  for (const Box* b : topic_boxes(in))
    for (const auto& gn : b->gates)
      if (const Gate* g = in.reg.gate(gn)) gates += (gates.empty() ? "" : ", ") + ("`" + g->name + "=" + g->def + "`");
  o << (gates.empty() ? "none" : gates) << " (defaults). A/B: `hakmem ab --profile " << in.topic.profile
    << " --a HAKMEM_X=0 --b HAKMEM_X=1 --runs " << s.runs << "` on the same binary, plus guard profiles; GO at ≥ "
    << fmt_threshold(s.go_pct) << ", NO-GO at ≤ " << fmt_threshold(s.nogo_pct) << " unless you argue for "
    << "other numbers.\n\n"
    << "Answer format: bullets `" << kQ4Labels[0] << "`, `" << kQ4Labels[1] << "`, `" << kQ4Labels[2]
    << "` (patch, gate, A/B step); gates in `## Gates` with defaults; every A/B step a row of `## A/B plan`.\n\n";
}

void q5(std::ostringstream& o, const Inputs& in) {
  Gap g = measured_gap(in);
  bool leads = g.hakmem && g.reference && g.reference->ops_per_s > 0 && g.hakmem->ops_per_s >= g.reference->ops_per_s;
  o << "### Q5. A realistic ceiling against " << in.topic.reference << " (required)\n\n" << gap_sentence(in);
  if (leads)
    o << " Keeping today's layering (" << box_chain(in) << "), how large a lead over " << in.topic.reference
      << " can hakmem hold, roughly in percent of " << in.topic.reference << "? Which layers carry the lead, and "
      << "which must be merged or removed to widen it, concretely?\n\n";
  else
    o << " Keeping today's layering (" << box_chain(in) << "), how close can hakmem get, roughly in percent of "
      << in.topic.reference << "? Which layers must be merged or removed to approach parity, concretely?\n\n";
  o << "Answer format: one line `" << kCeiling << " <N>% of " << in.topic.reference << "` and one line `"
    << kMergeOrRemove << " <boxes or layers, why>`.\n\n";
}

}  // namespace

std::string render_questions(const Inputs& in) {
  std::ostringstream o;
  o << "## 4. Questions (answer format given for each)\n\n";
  std::vector<std::string> b = in.topic.builtins;
  std::sort(b.begin(), b.end());
  for (const auto& q : b) {
    if (q == "Q1") q1(o, in);
    if (q == "Q2") q2(o, in);
    if (q == "Q3") q3(o, in);
    if (q == "Q4") q4(o, in);
    if (q == "Q5") q5(o, in);
  }
  for (size_t i = 0; i < in.topic.questions.size(); ++i) {
    const auto& q = in.topic.questions[i];
    o << "### Q" << 6 + i << ". " << q.title << "\n\n" << q.text << "\n\nAnswer format:";
    if (q.format.empty()) o << " free text, at most ten bullets.";
    for (const auto& f : q.format) o << "\n- " << f;
    o << "\n\n";
  }
  return o.str();
}

}  // namespace hm::review
