// Markdown parsing shared by the answer checker, the planner and the questionnaire reader: lines, fenced
// code, level-2/3 sections, the first table of a range, "Label: value" lines.
#pragma once

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace hm::review {

inline const std::regex& gate_re() {
  static const std::regex re("HAKMEM_[A-Z0-9_]+");
  return re;
}

std::string trim(std::string s);
std::string lower(std::string s);
std::string unquote(std::string s);  // drop surrounding backticks and bold markers

struct Doc {
  std::vector<std::string> lines;  // lines[0] is line 1
  std::vector<bool> code;          // inside a ``` fence (fence lines included)
  struct Section {
    std::string name;
    int line, end;  // heading line, last line (1-based, inclusive)
  };
  std::vector<Section> h2, h3;
};

Doc parse(const std::string& md);
const Doc::Section* section(const Doc& d, const std::string& name);
const Doc::Section* question(const Doc& d, int q);

struct Table {
  int header_line = 0;
  std::vector<std::string> columns;
  struct Row {
    int line;
    std::map<std::string, std::string> cell;
  };
  std::vector<Row> rows;
};

std::vector<std::string> split_row(const std::string& l);
// The first table between lines [from, to].
std::optional<Table> table_in(const Doc& d, int from, int to);
// "Label: value" anywhere in [from, to], tolerating list markers and bold; returns {line, value}.
std::optional<std::pair<int, std::string>> labelled(const Doc& d, int from, int to, const std::string& label);
std::optional<double> number(std::string s);
bool placeholder(const std::string& s);  // an unfilled <...>
std::string strip_code_spans(const std::string& l);
std::vector<std::string> split_list(const std::string& s);  // comma list; "-", "—", "none" are empty
std::string cell(const Table::Row& r, const std::string& column);

}  // namespace hm::review
