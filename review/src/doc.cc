// Markdown parsing shared by the review kit (doc.h).
#include "doc.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace hm::review {

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\r"));
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string unquote(std::string s) {
  s = trim(s);
  while (s.size() >= 2 && ((s.front() == '`' && s.back() == '`') || (s.front() == '*' && s.back() == '*')))
    s = trim(s.substr(1, s.size() - 2));
  return s;
}


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


std::string cell(const Table::Row& r, const std::string& column) {
  auto it = r.cell.find(column);
  return it == r.cell.end() ? std::string() : it->second;
}

}  // namespace hm::review
