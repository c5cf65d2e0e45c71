// The answer checker and the A/B planner. An answer is Markdown in the format of answer.h; every problem is
// reported with its 1-based line.
#include "answer.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

namespace hm::review {

namespace {

const std::regex kGateRe("HAKMEM_[A-Z0-9_]+");

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\r"));
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string unquote(std::string s) {  // drop surrounding backticks and bold markers
  s = trim(s);
  while (s.size() >= 2 && ((s.front() == '`' && s.back() == '`') || (s.front() == '*' && s.back() == '*')))
    s = trim(s.substr(1, s.size() - 2));
  return s;
}

struct Doc {
  std::vector<std::string> lines;  // lines[0] is line 1
  std::vector<bool> code;          // inside a ``` fence (fence lines included)
  struct Section {
    std::string name;
    int line, end;  // heading line, last line (1-based, inclusive)
  };
  std::vector<Section> h2, h3;
};

Doc parse(const std::string& md) {
  Doc d;
  std::istringstream in(md);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    d.lines.push_back(l);
  }
  bool fence = false;
  static const std::regex h2("^##\\s+(?:[0-9]+\\.\\s*)?(.*?)\\s*$"), h3("^###\\s+(.*?)\\s*$");
  for (size_t i = 0; i < d.lines.size(); ++i) {
    const std::string& l = d.lines[i];
    bool is_fence = trim(l).rfind("```", 0) == 0;
    d.code.push_back(fence || is_fence);
    if (is_fence) fence = !fence;
    if (fence || is_fence) continue;
    std::smatch m;
    int n = int(i) + 1;
    if (l.rfind("### ", 0) == 0 && std::regex_match(l, m, h3)) {
      if (!d.h3.empty() && d.h3.back().end == 0) d.h3.back().end = n - 1;
      d.h3.push_back({m[1].str(), n, 0});
    } else if (l.rfind("## ", 0) == 0 && std::regex_match(l, m, h2)) {
      if (!d.h2.empty()) d.h2.back().end = n - 1;
      if (!d.h3.empty() && d.h3.back().end == 0) d.h3.back().end = n - 1;
      d.h2.push_back({m[1].str(), n, 0});
    }
  }
  int last = int(d.lines.size());
  if (!d.h2.empty() && d.h2.back().end == 0) d.h2.back().end = last;
  if (!d.h3.empty() && d.h3.back().end == 0) d.h3.back().end = last;
  return d;
}

const Doc::Section* section(const Doc& d, const std::string& name) {
  for (const auto& s : d.h2)
    if (lower(s.name) == lower(name)) return &s;
  return nullptr;
}

const Doc::Section* question(const Doc& d, int q) {
  std::regex re("^Q" + std::to_string(q) + "(?![0-9]).*");
  for (const auto& s : d.h3)
    if (std::regex_match(s.name, re)) return &s;
  return nullptr;
}

struct Table {
  int header_line = 0;
  std::vector<std::string> columns;
  struct Row {
    int line;
    std::map<std::string, std::string> cell;
  };
  std::vector<Row> rows;
};

std::vector<std::string> split_row(const std::string& l) {
  std::string s = trim(l);
  if (!s.empty() && s.front() == '|') s.erase(0, 1);
  if (!s.empty() && s.back() == '|') s.pop_back();
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '|') {
      cur += '|';
      ++i;
    } else if (s[i] == '|') {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += s[i];
    }
  }
  out.push_back(trim(cur));
  return out;
}

// The first table between lines [from, to].
std::optional<Table> table_in(const Doc& d, int from, int to) {
  for (int n = from; n <= to; ++n) {
    if (d.code[n - 1] || trim(d.lines[n - 1]).rfind("|", 0) != 0) continue;
    Table t;
    t.header_line = n;
    for (const auto& c : split_row(d.lines[n - 1])) t.columns.push_back(lower(unquote(c)));
    int r = n + 1;
    if (r <= to && std::regex_match(trim(d.lines[r - 1]), std::regex(R"(\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?)"))) ++r;
    for (; r <= to && trim(d.lines[r - 1]).rfind("|", 0) == 0; ++r) {
      auto cells = split_row(d.lines[r - 1]);
      Table::Row row{r, {}};
      for (size_t i = 0; i < t.columns.size(); ++i) row.cell[t.columns[i]] = i < cells.size() ? unquote(cells[i]) : "";
      t.rows.push_back(row);
    }
    return t;
  }
  return std::nullopt;
}

// "Label: value" anywhere in [from, to], tolerating list markers and bold; returns {line, value}.
std::optional<std::pair<int, std::string>> labelled(const Doc& d, int from, int to, const std::string& label) {
  for (int n = from; n <= to; ++n) {
    std::string l = d.lines[n - 1];
    l.erase(std::remove(l.begin(), l.end(), '*'), l.end());
    l = trim(l);
    if (!l.empty() && (l[0] == '-' || l[0] == '+')) l = trim(l.substr(1));
    if (lower(l).rfind(lower(label), 0) == 0) return std::make_pair(n, trim(l.substr(label.size())));
  }
  return std::nullopt;
}

std::optional<double> number(std::string s) {
  s = unquote(s);
  if (!s.empty() && s.back() == '%') s.pop_back();
  s = trim(s);
  static const std::regex num_re(R"([+\-−]?[0-9]+(\.[0-9]+)?)");
  if (!std::regex_match(s, num_re)) return std::nullopt;
  if (s.rfind("−", 0) == 0) s = "-" + s.substr(std::string("−").size());
  return std::stod(s);
}

bool placeholder(const std::string& s) {
  static const std::regex ph(R"(<[A-Za-z][^<>]*>)");
  return std::regex_search(s, ph);
}

std::string strip_code_spans(const std::string& l) {
  static const std::regex span("`[^`]*`");
  return std::regex_replace(l, span, "``");
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, ',')) {
    cur = unquote(cur);
    if (!cur.empty() && cur != "-" && cur != "—" && lower(cur) != "none") out.push_back(cur);
  }
  return out;
}

}  // namespace

Requirements requirements_from_questionnaire(const std::string& md) {
  Requirements r;
  r.questions.clear();
  Doc d = parse(md);
  static const std::regex q_re("`### Q([0-9]+)`"), cand_re(R"(^- ([A-Za-z0-9]+)\) .*)");
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
  return r;
}

std::vector<Problem> check_answer(const std::string& md, const Registry& reg, const Requirements& req,
                                  const std::vector<std::string>& profiles) {
  Doc d = parse(md);
  std::vector<Problem> p;
  auto add = [&](int line, const std::string& text) { p.push_back({line, text}); };
  int last = std::max(1, int(d.lines.size()));

  // Sections: present, in order, not empty.
  int prev = 0;
  for (const auto& name : kAnswerSections) {
    const auto* s = section(d, name);
    if (!s) {
      add(last, "missing section `## " + name + "`");
      continue;
    }
    if (s->line < prev) add(s->line, "section `## " + name + "` is out of order");
    prev = std::max(prev, s->line);
    bool content = false;
    for (int n = s->line + 1; n <= s->end; ++n) content = content || !trim(d.lines[n - 1]).empty();
    if (!content) add(s->line, "section `## " + name + "` is empty");
  }
  const auto* answers = section(d, "Answers");
  for (int q : req.questions) {
    const auto* s = question(d, q);
    if (!s) {
      add(answers ? answers->line : last, "missing answer `### Q" + std::to_string(q) + "`");
      continue;
    }
    if (q == 1) {
      auto t = table_in(d, s->line, s->end);
      if (!t) add(s->line, "Q1 needs a table | rank | candidate | ROI | risk | effort | reason |");
      std::set<std::string> ranked;
      if (t) {
        for (const auto& c : kQ1Columns)
          if (std::find(t->columns.begin(), t->columns.end(), c) == t->columns.end())
            add(t->header_line, "Q1 table lacks column `" + c + "`");
        for (const auto& row : t->rows) {
          std::string cand = row.cell.at("candidate");
          ranked.insert(cand);
          if (!req.candidates.empty() && std::find(req.candidates.begin(), req.candidates.end(), cand) == req.candidates.end())
            add(row.line, "Q1 ranks unknown candidate '" + cand + "'");
          for (const char* c : {"roi", "risk", "effort"}) {
            auto it = row.cell.find(c);
            if (it != row.cell.end() && !std::regex_match(lower(it->second), std::regex("low|medium|high")))
              add(row.line, std::string("Q1 ") + c + " must be low, medium or high, not '" + it->second + "'");
          }
        }
        for (const auto& c : req.candidates)
          if (!ranked.count(c)) add(t->header_line, "Q1 does not rank candidate " + c);
      }
      auto rec = labelled(d, s->line, s->end, kRecommended);
      if (!rec || rec->second.empty())
        add(s->line, std::string("Q1 needs a line `") + kRecommended + " <ID>`");
      else if (!req.candidates.empty() &&
               std::find(req.candidates.begin(), req.candidates.end(), unquote(rec->second)) == req.candidates.end())
        add(rec->first, "recommended candidate '" + rec->second + "' is not one of the questionnaire's");
    } else if (q == 2) {
      auto cp = labelled(d, s->line, s->end, kConversionPoint);
      if (!cp || cp->second.empty()) add(s->line, std::string("Q2 needs a line `") + kConversionPoint + " <box>.<function>`");
    } else if (q == 3 || q == 4) {
      for (const auto& l : q == 3 ? kQ3Labels : kQ4Labels)
        if (!labelled(d, s->line, s->end, l)) add(s->line, "Q" + std::to_string(q) + " needs `" + l + "`");
    } else if (q == 5) {
      auto c = labelled(d, s->line, s->end, kCeiling);
      if (!c)
        add(s->line, std::string("Q5 needs a line `") + kCeiling + " <N>% of <allocator>`");
      else if (!std::regex_search(c->second, std::regex(R"([0-9]+(\.[0-9]+)?\s*%)")))
        add(c->first, "Q5 ceiling is not a number with %");
      auto m = labelled(d, s->line, s->end, kMergeOrRemove);
      if (!m || m->second.empty()) add(s->line, std::string("Q5 needs a line `") + kMergeOrRemove + " <layers>`");
    }
  }

  // Boxes: registry boxes plus those declared new here.
  std::set<std::string> known;
  for (const auto& b : reg.boxes) known.insert(b.name);
  auto check_columns = [&](const Table& t, const std::vector<std::string>& cols, const std::string& sec) {
    for (const auto& c : cols)
      if (std::find(t.columns.begin(), t.columns.end(), c) == t.columns.end())
        add(t.header_line, "table in `## " + sec + "` lacks column `" + c + "`");
  };
  auto sec_table = [&](const std::string& name, const std::vector<std::string>& cols) -> std::optional<Table> {
    const auto* s = section(d, name);
    if (!s) return std::nullopt;
    auto t = table_in(d, s->line, s->end);
    if (!t) {
      add(s->line, "section `## " + name + "` needs a table");
      return std::nullopt;
    }
    check_columns(*t, cols, name);
    if (t->rows.empty()) add(t->header_line, "table in `## " + name + "` has no rows");
    return t;
  };
  auto cell = [](const Table::Row& r, const std::string& c) {
    auto it = r.cell.find(c);
    return it == r.cell.end() ? std::string() : it->second;
  };
  if (auto t = sec_table("Boxes", kBoxesColumns))
    for (const auto& r : t->rows) {
      std::string name = cell(r, "box"), status = lower(cell(r, "status"));
      if (status == "new") {
        if (reg.box(name)) add(r.line, "box '" + name + "' is declared new but already exists in the registry");
        if (!std::regex_match(cell(r, "layer"), std::regex("[0-9]+")))
          add(r.line, "new box '" + name + "' needs a numeric layer");
        if (cell(r, "job").empty()) add(r.line, "new box '" + name + "' needs a one-sentence job");
        known.insert(name);
      } else if (status == "existing" || status == "changed") {
        if (!reg.box(name)) add(r.line, "box '" + name + "' is not in the registry; declare it new with layer and job");
      } else {
        add(r.line, "box '" + name + "' has status '" + cell(r, "status") + "' (existing, changed or new)");
      }
    }
  auto need_box = [&](int line, const std::string& name, const std::string& where) {
    if (!name.empty() && !known.count(name))
      add(line, "box '" + name + "' in " + where + " is neither in the registry nor declared new in `## Boxes`");
  };
  if (auto t = sec_table("API", kApiColumns))
    for (const auto& r : t->rows) {
      need_box(r.line, cell(r, "box"), "`## API`");
      for (const char* c : {"function", "arguments", "return"})
        if (cell(r, c).empty()) add(r.line, std::string("API row lacks ") + c);
    }
  std::map<std::string, std::string> gate_defaults;
  std::set<std::string> gates_listed;  // in `## Gates`, with or without a default
  for (const auto& g : reg.gates) gate_defaults[g.name] = g.def;
  if (auto t = sec_table("Gates", kGatesColumns))
    for (const auto& r : t->rows) {
      std::string g = cell(r, "gate"), def = cell(r, "default");
      if (!std::regex_match(g, kGateRe)) add(r.line, "gate name '" + g + "' does not match HAKMEM_[A-Z0-9_]+");
      if (def.empty()) add(r.line, "gate " + g + " has no default");
      const Gate* rg = reg.gate(g);
      if (rg && !def.empty() && rg->type == "int" && def != rg->def)
        add(r.line, "gate " + g + " has default " + rg->def + " in the registry, not " + def);
      need_box(r.line, cell(r, "box"), "`## Gates`");
      if (!def.empty()) gate_defaults[g] = def;
      gates_listed.insert(g);
    }
  std::set<std::string> profile_set(profiles.begin(), profiles.end());
  auto need_profile = [&](int line, const std::string& pr) {
    if (!profile_set.count(pr)) add(line, "profile '" + pr + "' is not a profile of the A/B runner");
  };
  if (auto t = sec_table("A/B plan", kPlanColumns))
    for (const auto& r : t->rows) {
      need_box(r.line, cell(r, "box"), "`## A/B plan`");
      std::string g = cell(r, "gate");
      if (!std::regex_match(g, kGateRe))
        add(r.line, "gate name '" + g + "' does not match HAKMEM_[A-Z0-9_]+");
      else if (!gate_defaults.count(g) && !gates_listed.count(g))
        add(r.line, "gate " + g + " has no default: it is neither in the registry nor in `## Gates`");
      need_profile(r.line, cell(r, "profile"));
      for (const auto& gp : split_list(cell(r, "guards"))) need_profile(r.line, gp);
      if (cell(r, "a").empty() || cell(r, "b").empty()) add(r.line, "A/B step needs values for both a and b");
      if (!std::regex_match(cell(r, "runs"), std::regex("[1-9][0-9]*")))
        add(r.line, "runs '" + cell(r, "runs") + "' is not a positive whole number");
      auto go = number(cell(r, "go %")), nogo = number(cell(r, "no-go %"));
      if (!go) add(r.line, "GO threshold '" + cell(r, "go %") + "' is not a number");
      if (!nogo) add(r.line, "NO-GO threshold '" + cell(r, "no-go %") + "' is not a number");
      if (go && nogo && *go <= *nogo) add(r.line, "GO threshold must be above the NO-GO threshold");
    }

  // The box diagram names boxes as [name].
  if (const auto* s = section(d, "Box diagram")) {
    bool fenced = false;
    static const std::regex box_re(R"(\[([A-Za-z_][A-Za-z0-9_]*)\])");
    for (int n = s->line + 1; n <= s->end; ++n) {
      if (!d.code[n - 1]) continue;
      fenced = true;
      const std::string& l = d.lines[n - 1];
      for (std::sregex_iterator it(l.begin(), l.end(), box_re), e; it != e; ++it) need_box(n, (*it)[1].str(), "the box diagram");
    }
    if (!fenced) add(s->line, "the box diagram must be ASCII inside a ``` block");
  }

  // Whole document: absolute paths, gate names, alloc/<box>/ paths, unfilled placeholders.
  static const std::regex abs_re(R"((^|[\s(\[`'"=:])(/[A-Za-z0-9._-]+/[A-Za-z0-9._/-]*|~/[A-Za-z0-9._/-]+|[A-Za-z]:\\))");
  static const std::regex hak_re(R"(HAKMEM[_-][A-Za-z0-9_<>-]*)");
  static const std::regex alloc_re(R"((^|[^A-Za-z0-9_/.])alloc/([A-Za-z0-9_]+)/)");
  for (size_t i = 0; i < d.lines.size(); ++i) {
    int n = int(i) + 1;
    const std::string& l = d.lines[i];
    std::smatch m;
    if (std::regex_search(l, m, abs_re)) add(n, "absolute path '" + m[2].str() + "'; use a repo-relative path");
    std::set<std::string> seen;
    for (std::sregex_iterator it(l.begin(), l.end(), hak_re), e; it != e; ++it) {
      std::string g = it->str();
      if (!seen.insert(g).second) continue;
      if (!std::regex_match(g, kGateRe))
        add(n, "gate name '" + g + "' does not match HAKMEM_[A-Z0-9_]+");
      else if (!gate_defaults.count(g) && !gates_listed.count(g))
        add(n, "gate " + g + " has no default: it is neither in the registry nor in `## Gates`");
    }
    for (std::sregex_iterator it(l.begin(), l.end(), alloc_re), e; it != e; ++it)
      if ((*it)[2].str() != "registry") need_box(n, (*it)[2].str(), "a path");
    if (!d.code[i] && placeholder(strip_code_spans(l))) add(n, "unfilled placeholder");
  }

  std::stable_sort(p.begin(), p.end(), [](const Problem& a, const Problem& b) { return a.line < b.line; });
  std::set<std::pair<int, std::string>> once;
  std::vector<Problem> out;
  for (auto& x : p)
    if (once.insert({x.line, x.text}).second) out.push_back(std::move(x));
  return out;
}

std::vector<AbStep> ab_steps(const std::string& md) {
  Doc d = parse(md);
  std::vector<AbStep> out;
  const auto* s = section(d, "A/B plan");
  if (!s) return out;
  auto t = table_in(d, s->line, s->end);
  if (!t) return out;
  for (const auto& r : t->rows) {
    auto c = [&](const char* k) {
      auto it = r.cell.find(k);
      return it == r.cell.end() ? std::string() : it->second;
    };
    AbStep st;
    st.line = r.line;
    st.phase = c("phase");
    st.box = c("box");
    st.gate = c("gate");
    st.profile = c("profile");
    st.a = c("a");
    st.b = c("b");
    st.runs = c("runs");
    auto norm = [](std::string v) {
      v = unquote(v);
      if (!v.empty() && v.back() == '%') v.pop_back();
      v = trim(v);
      if (v.rfind("−", 0) == 0) v = "-" + v.substr(std::string("−").size());
      if (!v.empty() && v[0] == '+') v.erase(0, 1);
      return v;
    };
    st.go = norm(c("go %"));
    st.nogo = norm(c("no-go %"));
    st.guards = split_list(c("guards"));
    out.push_back(st);
  }
  return out;
}

std::string plan_commands(const std::vector<AbStep>& steps, const std::string& name) {
  std::ostringstream o;
  o << "# A/B plan of " << name << ": " << steps.size() << " step" << (steps.size() == 1 ? "" : "s")
    << ". Same binary; run with no HAKMEM_* variable exported.\n";
  for (const auto& s : steps) {
    auto side = [&](const std::string& v) { return v.find('=') != std::string::npos ? v : s.gate + "=" + v; };
    o << "# phase " << s.phase << " (" << name << ":" << s.line << "): box " << s.box << ", gate " << s.gate << "\n";
    o << "hakmem ab --profile " << s.profile << " --a " << side(s.a) << " --b " << side(s.b) << " --runs " << s.runs;
    for (const auto& g : s.guards) o << " --guard " << g;
    o << " --go " << s.go << " --nogo " << s.nogo << " --box " << s.box << "\n";
  }
  return o.str();
}

}  // namespace hm::review
