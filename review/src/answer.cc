// The answer checker (structure: sections, questions, tables, boxes, gates) and the A/B planner. An answer is
// Markdown in the format of answer.h; every problem names its rule and 1-based line. The rules on identity,
// the A/B plan and the text as a whole live in rules_*.cc.
#include "answer.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "doc.h"

namespace hm::review {

QuestionnaireInfo read_questionnaire(const std::string& md) {
  QuestionnaireInfo q;
  Requirements& r = q.req;
  r.questions.clear();
  Doc d = parse(md);
  static const std::regex q_re("`### Q([0-9]+)`"), cand_re(R"(^- ([A-Za-z0-9]+)\) .*)");
  static const std::regex banned_re(R"(^- `(HAKMEM_[A-Z0-9_]+=[^`]*)`)"), table_gate_re(R"(^\| `(HAKMEM_[A-Z0-9_]+)` \|)");
  for (const auto& s : d.h2) {
    if (lower(s.name).rfind("expected answer format", 0) != 0) continue;
    for (int n = s.line; n <= s.end; ++n)
      for (std::sregex_iterator it(d.lines[n - 1].begin(), d.lines[n - 1].end(), q_re), e; it != e; ++it)
        r.questions.push_back(std::stoi((*it)[1].str()));
  }
  if (const auto* q1 = question(d, 1))
    for (int n = q1->line; n <= q1->end; ++n) {
      std::smatch m;
      if (std::regex_match(d.lines[n - 1], m, cand_re)) r.candidates.push_back(m[1].str());
    }
  if (r.questions.empty()) r.questions = {1, 2, 3, 4, 5};
  for (const auto& s : d.h3) {
    std::string name = lower(s.name);
    bool ban = name.find("do not propose") != std::string::npos, gates = name.find("gates and defaults") != std::string::npos;
    for (int n = s.line + 1; n <= s.end; ++n) {
      std::smatch m;
      if (ban && std::regex_search(d.lines[n - 1], m, banned_re)) q.banned.push_back(m[1].str());
      if (gates && std::regex_search(d.lines[n - 1], m, table_gate_re)) q.listed_gates.insert(m[1].str());
    }
  }
  for (const auto& l : d.lines)
    for (std::sregex_iterator it(l.begin(), l.end(), gate_re()), e; it != e; ++it) q.cited_gates.insert(it->str());
  if (auto idl = find_id_line(md)) {
    q.id = parse_id(idl->second);
    q.edited = q.id && q.id->content != content_hash(md);
  }
  return q;
}

Requirements requirements_from_questionnaire(const std::string& md) { return read_questionnaire(md).req; }

namespace {

struct Checker {
  const Doc& d;
  const CheckContext& ctx;
  std::vector<Problem>& p;
  std::set<std::string> boxes, new_boxes, gates;  // known: registry plus declared in the answer
  void add(int line, const std::string& rule, const std::string& text) { p.push_back({line, text, rule, false}); }
  int last() const { return std::max(1, int(d.lines.size())); }

  void sections() {
    int prev = 0;
    for (const auto& name : kAnswerSections) {
      const auto* s = section(d, name);
      if (!s) {
        add(last(), "ANS-SECTION", "missing section `## " + name + "`");
        continue;
      }
      if (s->line < prev) add(s->line, "ANS-SECTION", "section `## " + name + "` is out of order");
      prev = std::max(prev, s->line);
      bool content = false;
      for (int n = s->line + 1; n <= s->end; ++n) content = content || !trim(d.lines[n - 1]).empty();
      if (!content) add(s->line, "ANS-SECTION", "section `## " + name + "` is empty");
    }
  }

  void q1(const Doc::Section& s) {
    const auto& cands = ctx.questionnaire ? ctx.questionnaire->req.candidates : std::vector<std::string>{};
    auto t = table_in(d, s.line, s.end);
    if (!t) add(s.line, "ANS-FORMAT", "Q1 needs a table | rank | candidate | ROI | risk | effort | reason |");
    std::string first;
    if (t) {
      for (const auto& c : kQ1Columns)
        if (std::find(t->columns.begin(), t->columns.end(), c) == t->columns.end())
          add(t->header_line, "ANS-FORMAT", "Q1 table lacks column `" + c + "`");
      std::set<std::string> ranked;
      int best = 1 << 30;
      for (const auto& row : t->rows) {
        std::string cand = cell(row, "candidate");
        ranked.insert(cand);
        if (!cands.empty() && std::find(cands.begin(), cands.end(), cand) == cands.end())
          add(row.line, "ANS-CANDIDATE", "Q1 ranks unknown candidate '" + cand + "'");
        if (auto rank = number(cell(row, "rank")); rank && *rank < best) {
          best = int(*rank);
          first = cand;
        }
        for (const char* c : {"roi", "risk", "effort"}) {
          std::string v = cell(row, c);
          if (!v.empty() && !std::regex_match(lower(v), std::regex("low|medium|high")))
            add(row.line, "ANS-FORMAT", std::string("Q1 ") + c + " must be low, medium or high, not '" + v + "'");
        }
      }
      for (const auto& c : cands)
        if (!ranked.count(c)) add(t->header_line, "ANS-CANDIDATE", "Q1 does not rank candidate " + c);
    }
    auto rec = labelled(d, s.line, s.end, kRecommended);
    if (!rec || rec->second.empty()) {
      add(s.line, "ANS-FORMAT", std::string("Q1 needs a line `") + kRecommended + " <ID>`");
      return;
    }
    std::string r = unquote(rec->second);
    if (!cands.empty() && std::find(cands.begin(), cands.end(), r) == cands.end())
      add(rec->first, "ANS-CANDIDATE", "recommended candidate '" + r + "' is not one of the questionnaire's");
    else if (!first.empty() && r != first)
      add(rec->first, "ANS-RANKING", "recommends " + r + " but the Q1 table ranks " + first + " first");
  }

  void questions() {
    const auto* answers = section(d, "Answers");
    std::vector<int> qs = ctx.questionnaire ? ctx.questionnaire->req.questions : Requirements{}.questions;
    for (int q : qs) {
      const auto* s = question(d, q);
      if (!s) {
        add(answers ? answers->line : last(), "ANS-QUESTION", "missing answer `### Q" + std::to_string(q) + "`");
        continue;
      }
      if (q == 1) {
        q1(*s);
      } else if (q == 2) {
        auto cp = labelled(d, s->line, s->end, kConversionPoint);
        if (!cp || cp->second.empty())
          add(s->line, "ANS-FORMAT", std::string("Q2 needs a line `") + kConversionPoint + " <box>.<function>`");
      } else if (q == 3 || q == 4) {
        for (const auto& l : q == 3 ? kQ3Labels : kQ4Labels)
          if (!labelled(d, s->line, s->end, l)) add(s->line, "ANS-FORMAT", "Q" + std::to_string(q) + " needs `" + l + "`");
      } else if (q == 5) {
        auto c = labelled(d, s->line, s->end, kCeiling);
        if (!c)
          add(s->line, "ANS-FORMAT", std::string("Q5 needs a line `") + kCeiling + " <N>% of <allocator>`");
        else if (!std::regex_search(c->second, std::regex(R"([0-9]+(\.[0-9]+)?\s*%)")))
          add(c->first, "ANS-FORMAT", "Q5 ceiling is not a number with %");
        auto m = labelled(d, s->line, s->end, kMergeOrRemove);
        if (!m || m->second.empty()) add(s->line, "ANS-FORMAT", std::string("Q5 needs a line `") + kMergeOrRemove + " <layers>`");
      }
    }
  }

  std::optional<Table> sec_table(const std::string& name, const std::vector<std::string>& cols) {
    const auto* s = section(d, name);
    if (!s) return std::nullopt;
    auto t = table_in(d, s->line, s->end);
    if (!t) {
      add(s->line, "ANS-TABLE", "section `## " + name + "` needs a table");
      return std::nullopt;
    }
    for (const auto& c : cols)
      if (std::find(t->columns.begin(), t->columns.end(), c) == t->columns.end())
        add(t->header_line, "ANS-TABLE", "table in `## " + name + "` lacks column `" + c + "`");
    if (t->rows.empty()) add(t->header_line, "ANS-TABLE", "table in `## " + name + "` has no rows");
    return t;
  }

  void box_table() {
    for (const auto& b : ctx.reg->boxes) boxes.insert(b.name);
    auto t = sec_table("Boxes", kBoxesColumns);
    if (!t) return;
    auto has = [&](const char* c) { return std::find(t->columns.begin(), t->columns.end(), c) != t->columns.end(); };
    for (const auto& r : t->rows) {
      std::string name = cell(r, "box"), status = lower(cell(r, "status"));
      if (status == "new") {
        if (ctx.reg->box(name)) add(r.line, "ANS-BOX", "box '" + name + "' is declared new but already exists in the registry");
        if (has("layer") && !std::regex_match(cell(r, "layer"), std::regex("[0-9]+")))
          add(r.line, "ANS-BOX", "new box '" + name + "' needs a numeric layer");
        if (has("job") && cell(r, "job").empty()) add(r.line, "ANS-BOX", "new box '" + name + "' needs a one-sentence job");
        boxes.insert(name);
        new_boxes.insert(name);
      } else if (status == "existing" || status == "changed") {
        if (!ctx.reg->box(name)) add(r.line, "ANS-BOX", "box '" + name + "' is not in the registry; declare it new with layer and job");
      } else {
        add(r.line, "ANS-BOX", "box '" + name + "' has status '" + cell(r, "status") + "' (existing, changed or new)");
      }
    }
  }

  void need_box(int line, const std::string& name, const std::string& where) {
    if (!name.empty() && !boxes.count(name))
      add(line, "ANS-BOX", "box '" + name + "' in " + where + " is neither in the registry nor declared new in `## Boxes`");
  }

  void api_table() {
    if (auto t = sec_table("API", kApiColumns))
      for (const auto& r : t->rows) need_box(r.line, cell(r, "box"), "`## API`");
  }

  void gate_table() {
    for (const auto& g : ctx.reg->gates) gates.insert(g.name);
    auto t = sec_table("Gates", kGatesColumns);
    if (!t) return;
    for (const auto& r : t->rows) {
      std::string g = cell(r, "gate"), def = cell(r, "default"), status = lower(cell(r, "status"));
      const Gate* rg = ctx.reg->gate(g);
      need_box(r.line, cell(r, "box"), "`## Gates`");
      if (!std::regex_match(g, gate_re())) {
        add(r.line, "ANS-GATE-NAME", "gate name '" + g + "' does not match HAKMEM_[A-Z0-9_]+");
        continue;
      }
      gates.insert(g);
      if (def.empty()) add(r.line, "ANS-GATE-DEFAULT", "gate " + g + " has no default");
      if (rg && !def.empty() && rg->type == "int" && def != rg->def)
        add(r.line, "ANS-GATE-DEFAULT", "gate " + g + " has default " + rg->def + " in the registry, not " + def);
      if (status == "new") {
        if (rg) add(r.line, "ANS-GATE-STATUS", "gate " + g + " is declared new but already exists in the registry");
        for (const auto& eg : ctx.reg->gates)
          if (!rg && edit_distance(g, eg.name) <= 2) {
            add(r.line, "ANS-GATE-TYPO", "new gate " + g + " is within two edits of the existing gate " + eg.name +
                                             "; a likely typo (name it more distinctly if it is really new)");
            break;
          }
      } else if (status == "existing" || status == "changed") {
        if (!rg) add(r.line, "ANS-GATE-STATUS", "gate " + g + " is not in the registry; declare it new");
      } else {
        add(r.line, "ANS-GATE-STATUS", "gate " + g + " has status '" + cell(r, "status") + "' (existing, changed or new)");
      }
    }
  }

  void diagram() {
    const auto* s = section(d, "Box diagram");
    if (!s) return;
    bool fenced = false;
    static const std::regex box_re(R"(\[([A-Za-z_][A-Za-z0-9_]*)\])");
    for (int n = s->line + 1; n <= s->end; ++n) {
      if (!d.code[n - 1]) continue;
      fenced = true;
      const std::string& l = d.lines[n - 1];
      for (std::sregex_iterator it(l.begin(), l.end(), box_re), e; it != e; ++it) need_box(n, (*it)[1].str(), "the box diagram");
    }
    if (!fenced) add(s->line, "ANS-DIAGRAM", "the box diagram must be ASCII inside a ``` block");
  }
};

std::vector<Problem> finish(std::vector<Problem> p) {
  std::stable_sort(p.begin(), p.end(), [](const Problem& a, const Problem& b) { return a.line < b.line; });
  std::set<std::tuple<int, std::string, std::string>> once;
  std::vector<Problem> out;
  for (auto& x : p)
    if (once.insert({x.line, x.rule, x.text}).second) out.push_back(std::move(x));
  return out;
}

}  // namespace

std::vector<Problem> check_answer(const std::string& md, const CheckContext& ctx) {
  Doc d = parse(md);
  std::vector<Problem> p;
  Checker c{d, ctx, p, {}, {}, {}};
  check_identity(d, ctx, p);
  c.sections();
  c.questions();
  c.box_table();
  c.api_table();
  c.gate_table();
  c.diagram();
  check_plan(d, ctx, c.boxes, c.gates, p);
  check_text(d, ctx, c.boxes, c.gates, c.new_boxes, p);
  return finish(std::move(p));
}

std::vector<Problem> check_answer(const std::string& md, const Registry& reg, const Requirements& req,
                                  const std::vector<std::string>& profiles) {
  CheckContext ctx;
  ctx.reg = &reg;
  ctx.profiles = profiles;
  QuestionnaireInfo q;
  q.req = req;
  ctx.questionnaire = q;
  return check_answer(md, ctx);
}

std::vector<AbStep> ab_steps(const std::string& md) {
  Doc d = parse(md);
  std::vector<AbStep> out;
  const auto* s = section(d, "A/B plan");
  if (!s) return out;
  auto t = table_in(d, s->line, s->end);
  if (!t) return out;
  auto norm = [](std::string v) {
    v = unquote(v);
    if (!v.empty() && v.back() == '%') v.pop_back();
    v = trim(v);
    if (v.rfind("−", 0) == 0) v = "-" + v.substr(std::string("−").size());
    if (!v.empty() && v[0] == '+') v.erase(0, 1);
    return v;
  };
  for (const auto& r : t->rows) {
    AbStep st;
    st.line = r.line;
    st.phase = cell(r, "phase");
    st.box = cell(r, "box");
    st.gate = cell(r, "gate");
    st.profile = cell(r, "profile");
    st.metric = lower(cell(r, "metric"));
    st.a = cell(r, "a");
    st.b = cell(r, "b");
    st.runs = cell(r, "runs");
    st.go = norm(cell(r, "go %"));
    st.nogo = norm(cell(r, "no-go %"));
    st.guards = split_list(cell(r, "guards"));
    out.push_back(st);
  }
  return out;
}

std::string side_assignments(const AbStep& s, const std::string& v) {
  return v.find('=') != std::string::npos ? v : s.gate + "=" + v;
}

std::string plan_commands(const std::vector<AbStep>& steps, const std::string& name, const std::string& answer_id) {
  std::ostringstream o;
  o << "# A/B plan of " << name << ": " << steps.size() << " step" << (steps.size() == 1 ? "" : "s")
    << ". Same binary; run with no HAKMEM_* variable exported.\n";
  for (const auto& s : steps) {
    o << "# phase " << s.phase << " (" << name << ":" << s.line << "): box " << s.box << ", gate " << s.gate << "\n";
    o << "hakmem ab --profile " << s.profile << " --metric " << s.metric << " --a " << side_assignments(s, s.a)
      << " --b " << side_assignments(s, s.b) << " --runs " << s.runs;
    for (const auto& g : s.guards) o << " --guard " << g;
    o << " --go " << s.go << " --nogo " << s.nogo << " --box " << s.box;
    if (!answer_id.empty()) o << " --answer " << answer_id << " --phase " << s.phase;
    o << "\n";
  }
  return o.str();
}

}  // namespace hm::review
