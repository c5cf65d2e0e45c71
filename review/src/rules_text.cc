// Rules on the answer's text as a whole: placeholders, absolute and repo paths, gate names, boxes named in
// paths, and figures quoted from a ledger line.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <regex>

#include "answer.h"
#include "doc.h"

namespace hm::review {

namespace {

// Figures a ledger entry supports: percentages, ratios (x) and millions of ops/s.
struct Figure {
  double value;
  char unit;  // '%', 'x', 'M'
};

std::vector<Figure> entry_figures(const LedgerEntry& e) {
  std::vector<Figure> f;
  auto ratio = [&](double r) {
    f.push_back({r, 'x'});
    f.push_back({(r - 1.0) * 100.0, '%'});
    if (r > 0) f.push_back({(1.0 / r - 1.0) * 100.0, '%'});
  };
  if (e.kind == "ab") {
    for (const auto& v : {e.ratio_median, e.spread_min, e.spread_max})
      if (v) ratio(*v);
    for (double r : e.ratios) ratio(r);
    for (const auto& g : e.guards)
      if (g.ratio_median) ratio(*g.ratio_median);
    for (const auto& v : {e.go_pct, e.nogo_pct})
      if (v) f.push_back({*v, '%'});
  } else {
    for (const auto& a : e.results) {
      f.push_back({a.ops_per_s / 1e6, 'M'});
      for (const auto& b : e.results)
        if (&a != &b && b.ops_per_s > 0) ratio(a.ops_per_s / b.ops_per_s);
    }
  }
  return f;
}

bool supported(const std::vector<Figure>& figs, double q, char unit, int decimals) {
  double tol = 0.5 * std::pow(10.0, -decimals) + 1e-9;
  return std::any_of(figs.begin(), figs.end(), [&](const Figure& f) {
    return f.unit == unit && std::fabs(std::fabs(f.value) - std::fabs(q)) <= tol;
  });
}

bool system_path(const std::string& p) {
  for (const char* root : {"/proc/", "/sys/", "/dev/"})
    if (p.rfind(root, 0) == 0) return true;
  return false;
}

}  // namespace

void check_text(const Doc& d, const CheckContext& ctx, const std::set<std::string>& boxes,
                const std::set<std::string>& gates, const std::set<std::string>& new_boxes, Add p) {
  auto add = [&](int line, const std::string& rule, const std::string& text) { p.push_back({line, text, rule, false}); };
  static const std::regex abs_re(R"((^|[\s(\[`'"=:])(/[A-Za-z0-9._-]+/[A-Za-z0-9._/-]*|~/[A-Za-z0-9._/-]+|[A-Za-z]:\\))");
  static const std::regex hak_re(R"(HAKMEM[_-][A-Za-z0-9_<>-]*)");
  static const std::regex alloc_re(R"((^|[^A-Za-z0-9_/.])alloc/([A-Za-z0-9_]+)/)");
  static const std::regex repo_re(
      R"((^|[\s`(\['"])((alloc|bench|docs|tests|review|invariants|fuzz|scripts|include|tools)/[A-Za-z0-9_./-]*[A-Za-z0-9_/]))");
  static const std::regex word_re(R"(\b(TBD|TODO|FIXME|XXX)\b)"), dots_re(R"(^\s*(\.\.\.|…)\s*$)");
  static const std::regex cite_re(R"(ledger(?:\.jsonl)?`?\s+(?:line|entry)\s+#?([0-9]+))", std::regex::icase);
  static const std::regex fig_re(R"((^|[^A-Za-z0-9_.])([+\-−]?[0-9]+(?:\.([0-9]+))?)\s*(%|x\b|×|M\b))");

  std::set<std::string> declared_files;
  for (size_t i = 0; i < d.lines.size(); ++i)
    if (auto nf = labelled(d, int(i) + 1, int(i) + 1, kNewFiles))
      for (const auto& f : split_list(nf->second)) declared_files.insert(f);
  std::set<std::string> cited = ctx.questionnaire ? ctx.questionnaire->cited_gates : std::set<std::string>{};
  const auto* plan = section(d, "A/B plan");  // its rows' gates are checked by the plan rules

  for (size_t i = 0; i < d.lines.size(); ++i) {
    int n = int(i) + 1;
    const std::string& l = d.lines[i];
    if (auto id = find_id_line(l); id) continue;  // the ID line is checked by the identity rules
    std::smatch m;
    for (std::sregex_iterator it(l.begin(), l.end(), abs_re), e; it != e; ++it) {
      std::string path = (*it)[2].str();
      if (!system_path(path)) {
        add(n, "ANS-ABS-PATH", "absolute path '" + path + "'; use a repo-relative path");
        break;
      }
    }
    std::set<std::string> seen;
    for (std::sregex_iterator it(l.begin(), l.end(), hak_re), e; it != e; ++it) {
      std::string g = it->str();
      if (!seen.insert(g).second) continue;
      if (!std::regex_match(g, gate_re()))
        add(n, "ANS-GATE-NAME", "gate name '" + g + "' does not match HAKMEM_[A-Z0-9_]+");
      else if (!gates.count(g) && !cited.count(g) && !(plan && n > plan->line && n <= plan->end && trim(l).rfind("|", 0) == 0))
        add(n, "ANS-GATE-UNKNOWN", "gate " + g + " is neither in the registry, nor declared in `## Gates`, nor named by the questionnaire");
    }
    std::set<std::string> bad_box;
    for (std::sregex_iterator it(l.begin(), l.end(), alloc_re), e; it != e; ++it) {
      std::string b = (*it)[2].str();
      if (b != "registry" && !boxes.count(b)) {
        bad_box.insert(b);
        add(n, "ANS-BOX", "box '" + b + "' in a path is neither in the registry nor declared new in `## Boxes`");
      }
    }
    if (!ctx.repo.empty() && !labelled(d, n, n, kNewFiles))
      for (std::sregex_iterator it(l.begin(), l.end(), repo_re), e; it != e; ++it) {
        std::string path = (*it)[2].str();
        std::smatch bm;
        if (std::regex_search(path, bm, std::regex("^alloc/([A-Za-z0-9_]+)/")) &&
            (bad_box.count(bm[1].str()) || new_boxes.count(bm[1].str())))
          continue;
        if (declared_files.count(path) || std::filesystem::exists(std::filesystem::path(ctx.repo) / path)) continue;
        add(n, "ANS-PATH", "repo path '" + path + "' does not exist; declare it on a `" + std::string(kNewFiles) +
                               " ...` line if the answer adds it");
      }
    if (!d.code[i]) {
      std::string text = strip_code_spans(l);
      if (placeholder(text)) add(n, "ANS-PLACEHOLDER", "unfilled placeholder");
      if (std::regex_search(text, m, word_re)) add(n, "ANS-PLACEHOLDER", "placeholder '" + m[1].str() + "'");
      std::string t = trim(l);
      if (t.rfind("|", 0) == 0 && !std::regex_match(t, std::regex(R"(\|?[\s:|-]*)"))) {
        auto cells = split_row(t);
        for (size_t c = 0; c < cells.size(); ++c)
          if (cells[c].empty() || std::regex_match(cells[c], dots_re)) {
            add(n, "ANS-PLACEHOLDER", "empty table cell (column " + std::to_string(c + 1) + ")");
            break;
          }
      } else if (auto colon = t.find(':'); colon != std::string::npos && std::regex_match(t.substr(colon + 1), dots_re)) {
        add(n, "ANS-PLACEHOLDER", "'" + trim(t.substr(colon + 1)) + "' is not an answer");
      }
    }
    if (ctx.ledger && std::regex_search(l, m, cite_re)) {
      int cited_line = std::stoi(m[1].str());
      const LedgerEntry* entry = nullptr;
      for (const auto& e : ctx.ledger->entries)
        if (e.line == cited_line) entry = &e;
      if (!entry) {
        add(n, "ANS-LEDGER-CITE", "ledger line " + m[1].str() + " is not an entry of `" + ctx.ledger->display + "`");
        continue;
      }
      auto figs = entry_figures(*entry);
      for (std::sregex_iterator it(l.begin(), l.end(), fig_re), e; it != e; ++it) {
        std::string num = (*it)[2].str(), unit = (*it)[4].str();
        if (num.rfind("−", 0) == 0) num = "-" + num.substr(std::string("−").size());
        char u = unit == "%" ? '%' : unit == "M" ? 'M' : 'x';
        int decimals = (*it)[3].matched ? int((*it)[3].length()) : 0;
        if (!supported(figs, std::stod(num), u, decimals))
          add(n, "ANS-LEDGER-CITE", "figure " + (*it)[2].str() + unit + " is not what ledger line " + m[1].str() +
                                        " says (" + entry->kind + ", profile " + entry->profile + ", " + entry->date + ")");
      }
    }
  }
}

}  // namespace hm::review
