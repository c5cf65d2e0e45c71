// Boundary check: a light tokenizer over the tree's sources and the rules of boundary.h.
#include "common/boundary.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "registry/registry.h"

namespace hm_tools {

namespace fs = std::filesystem;

namespace {

const std::set<std::string>& keywords() {
  static const std::set<std::string> k = {
      "alignas", "alignof", "asm", "auto", "bool", "break", "case", "catch", "char", "class", "const",
      "consteval", "constexpr", "constinit", "const_cast", "continue", "co_await", "co_return", "decltype",
      "default", "delete", "do", "double", "dynamic_cast", "else", "enum", "explicit", "extern", "false",
      "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new",
      "noexcept", "nullptr", "operator", "private", "protected", "public", "register", "reinterpret_cast",
      "requires", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
      "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid", "typename",
      "union", "unsigned", "using", "virtual", "void", "volatile", "while", "defined", "offsetof"};
  return k;
}

bool is_ident(const std::string& t) { return !t.empty() && (std::isalpha(static_cast<unsigned char>(t[0])) || t[0] == '_'); }

// A name that can be a function: an identifier, no keyword, not reserved (__x), not a macro (no lower case).
bool function_name(const std::string& t) {
  if (!is_ident(t) || keywords().count(t) || t.rfind("__", 0) == 0) return false;
  return std::any_of(t.begin(), t.end(), [](char c) { return std::islower(static_cast<unsigned char>(c)); });
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> code_files(const fs::path& dir) {
  static const std::set<std::string> ext = {".h", ".hpp", ".cc", ".cpp", ".inc"};
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory() && it->path().filename() == "fixtures") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && ext.count(it->path().extension().string())) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// The box a quoted include names ("Y/..." or "alloc/Y/..."), with the rest of the path; empty if none.
std::pair<std::string, std::string> include_box(const std::string& path, const std::map<std::string, const BoundaryBox*>& by_name) {
  std::vector<std::string> parts = split(path, '/');
  if (parts.size() >= 3 && parts[0] == "alloc") parts.erase(parts.begin());
  if (parts.size() < 2 || !by_name.count(parts[0])) return {};
  std::string rest;
  for (size_t i = 1; i < parts.size(); ++i) rest += (i > 1 ? "/" : "") + parts[i];
  return {parts[0], rest};
}

struct Scanned {
  std::string rel;
  Tokens t;
  std::string via;  // for a registry .def a box file includes: " (through <file>)"
};

Scanned scan(const fs::path& f, const std::string& tree) {
  return {f.lexically_relative(fs::path(tree)).generic_string(), tokenize(slurp(f)), ""};
}

// Names inside `namespace <ns> { ... }` blocks of a token stream (any identifier there).
std::set<std::string> names_in_namespace(const std::vector<Token>& tk, const std::string& ns) {
  std::set<std::string> out;
  std::vector<bool> inside;  // per open brace: within ns
  for (size_t i = 0; i < tk.size(); ++i) {
    const std::string& t = tk[i].text;
    bool in = !inside.empty() && inside.back();
    if (t == "{") {
      bool opens = false;  // namespace a::ns { or namespace ns {
      if (i >= 2 && tk[i - 1].text == ns) {
        size_t k = i - 1;
        while (k >= 2 && tk[k - 1].text == "::" && is_ident(tk[k - 2].text)) k -= 2;
        opens = k >= 1 && tk[k - 1].text == "namespace";
      }
      inside.push_back(in || opens);
    } else if (t == "}") {
      if (!inside.empty()) inside.pop_back();
    } else if (in && is_ident(t)) {
      out.insert(t);
    }
  }
  return out;
}

}  // namespace

std::string to_string(const Violation& v) { return v.file + ":" + std::to_string(v.line) + ": " + v.rule + ": " + v.detail; }

std::vector<BoundaryBox> registry_boundary_boxes() {
  std::vector<BoundaryBox> out;
  for (const auto& b : hm::registry::kBoxes) {
    BoundaryBox x;
    x.name = std::string(b.name);
    x.boundary = split(std::string(b.boundary), ' ');
    if (const auto* in = hm::registry::find_inspect(b.name)) x.inspect = std::string(in->header);
    out.push_back(x);
  }
  return out;
}

Tokens tokenize(const std::string& s) {
  Tokens out;
  int line = 1;
  bool line_start = true;
  size_t i = 0, n = s.size();
  auto push = [&](std::string t) { out.tokens.push_back({std::move(t), line}); };
  while (i < n) {
    char c = s[i];
    if (c == '\n') {
      ++line;
      line_start = true;
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '/') {
      while (i < n && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      size_t e = s.find("*/", i + 2);
      e = e == std::string::npos ? n : e + 2;
      line += static_cast<int>(std::count(s.begin() + i, s.begin() + e, '\n'));
      i = e;
      continue;
    }
    if (c == '#' && line_start) {  // a directive, with continuation lines; comments inside are not text
      int at = line;
      std::string d;
      while (i < n && s[i] != '\n') {
        if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\n') {
          ++line;
          i += 2;
          continue;
        }
        if (s[i] == '/' && i + 1 < n && (s[i + 1] == '/' || s[i + 1] == '*')) break;
        d += s[i++];
      }
      size_t k = d.find_first_not_of(" \t", 1);
      if (k != std::string::npos && d.compare(k, 7, "include") == 0) {
        size_t q = d.find('"', k);
        size_t r = q == std::string::npos ? q : d.find('"', q + 1);
        if (r != std::string::npos) out.includes.push_back({d.substr(q + 1, r - q - 1), at});
      }
      continue;  // the rest of the line (a comment) is handled by the loop
    }
    line_start = false;
    if (c == 'R' && i + 1 < n && s[i + 1] == '"') {  // raw string R"delim( ... )delim"
      size_t open = s.find('(', i + 2);
      if (open != std::string::npos) {
        std::string end = ")" + s.substr(i + 2, open - i - 2) + "\"";
        size_t e = s.find(end, open + 1);
        e = e == std::string::npos ? n : e + end.size();
        line += static_cast<int>(std::count(s.begin() + i, s.begin() + e, '\n'));
        i = e;
        push("\"\"");
        continue;
      }
    }
    if (c == '"' || c == '\'') {
      size_t j = i + 1;
      while (j < n && s[j] != c && s[j] != '\n') j += s[j] == '\\' ? 2 : 1;
      i = std::min(n, j + 1);
      push(c == '"' ? "\"\"" : "''");
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < n && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      push(s.substr(i, j - i));
      i = j;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {  // numbers, with digit separators and suffixes
      size_t j = i;
      while (j < n && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' || s[j] == '.' || s[j] == '\'')) ++j;
      push(s.substr(i, j - i));
      i = j;
      continue;
    }
    if (i + 1 < n && ((c == ':' && s[i + 1] == ':') || (c == '-' && s[i + 1] == '>'))) {
      push(s.substr(i, 2));
      i += 2;
      continue;
    }
    push(std::string(1, c));
    ++i;
  }
  return out;
}

std::vector<FunctionDecl> namespace_functions(const std::vector<Token>& tk) {
  std::vector<FunctionDecl> out;
  struct Scope {
    bool ns;
    bool detail;
  };
  std::vector<Scope> scopes;
  int parens = 0;                 // ( and [ open in the current statement
  size_t stmt = 0;                // first token of the current statement
  bool taken = false, assigned = false;
  auto at_namespace_scope = [&] {
    return std::all_of(scopes.begin(), scopes.end(), [](const Scope& s) { return s.ns; });
  };
  auto in_detail = [&] {
    return std::any_of(scopes.begin(), scopes.end(), [](const Scope& s) { return s.detail; });
  };
  for (size_t i = 0; i < tk.size(); ++i) {
    const std::string& t = tk[i].text;
    if (t == "(" || t == "[") {
      ++parens;
    } else if (t == ")" || t == "]") {
      parens = std::max(0, parens - 1);
    } else if (t == "{") {
      if (parens > 0) {
        scopes.push_back({false, false});
        continue;
      }
      Scope sc{false, false};
      if (stmt < i && tk[stmt].text == "namespace") {
        sc.ns = true;
        for (size_t k = stmt + 1; k < i; ++k)
          if (ends_with(tk[k].text, "_detail")) sc.detail = true;
      } else if (stmt + 2 == i && tk[stmt].text == "extern" && tk[stmt + 1].text == "\"\"") {
        sc.ns = true;  // extern "C" { ... }
      }
      scopes.push_back(sc);
      stmt = i + 1;
      taken = assigned = false;
    } else if (t == "}") {
      if (!scopes.empty()) scopes.pop_back();
      if (parens == 0) {
        stmt = i + 1;
        taken = assigned = false;
      }
    } else if (t == ";" && parens == 0) {
      stmt = i + 1;
      taken = assigned = false;
    } else if (t == "=" && parens == 0) {
      assigned = true;
    } else if (parens == 0 && !taken && !assigned && i + 1 < tk.size() && tk[i + 1].text == "(" &&
               at_namespace_scope()) {
      if (!function_name(t)) continue;  // keywords and macros take their parentheses with them
      taken = true;
      if (i > 0 && tk[i - 1].text == "::") continue;  // a qualified definition (X::f), not a declaration
      out.push_back({t, tk[i].line, in_detail()});
    }
  }
  return out;
}

BoundaryCheck check_boundaries(const std::string& tree, const std::vector<BoundaryBox>& boxes) {
  BoundaryCheck c;
  fs::path root(tree);
  std::error_code ec;
  c.scanned = fs::is_directory(root / "alloc", ec);
  if (!c.scanned) return c;
  std::map<std::string, const BoundaryBox*> by_name;
  for (const auto& b : boxes) by_name[b.name] = &b;
  auto add = [&](const std::string& file, int line, const char* rule, const std::string& detail, const std::string& from,
                 const std::string& to) { c.violations.push_back({file, line, rule, detail, from, to}); };

  // Every box's files, and the functions its headers (and, for shadowing, its sources) declare.
  std::map<std::string, std::vector<Scanned>> files;
  std::map<std::string, std::set<std::string>> declared_h, declared_any;
  std::map<std::string, std::set<std::string>> listed;
  for (const auto& b : boxes) {
    listed[b.name] = std::set<std::string>(b.boundary.begin(), b.boundary.end());
    for (const auto& f : code_files(root / "alloc" / b.name)) {
      files[b.name].push_back(scan(f, tree));
      bool header = f.extension() == ".h" || f.extension() == ".hpp";
      for (const auto& d : namespace_functions(files[b.name].back().t.tokens)) {
        declared_any[b.name].insert(d.name);
        if (header && !d.detail) declared_h[b.name].insert(d.name);
      }
    }
  }
  // Which box declares a function name in its headers (names two boxes declare belong to neither).
  std::map<std::string, std::string> owner;
  for (const auto& [box, names] : declared_h)
    for (const auto& nm : names) owner[nm] = owner.count(nm) ? "" : box;

  // Rule list: the boundary header against the boundary list, both ways.
  std::string registry_file = "alloc/registry/boxes.def";
  std::vector<std::string> def_lines = split(slurp(root / registry_file), '\n');
  for (const auto& b : boxes) {
    fs::path hdr = root / "alloc" / b.name / (b.name + ".h");
    if (!fs::exists(hdr, ec)) continue;
    // The boundary header with the headers of its own box it includes (recursively): their functions
    // must all be listed. The public API headers it includes (include/hakmem/) may declare listed names.
    std::set<std::string> in_header;
    std::vector<std::string> todo = {b.name + "/" + b.name + ".h"}, seen;
    while (!todo.empty()) {
      std::string inc = todo.back();
      todo.pop_back();
      if (std::find(seen.begin(), seen.end(), inc) != seen.end()) continue;
      seen.push_back(inc);
      std::string rel = "alloc/" + inc;
      Tokens t = tokenize(slurp(root / rel));
      for (const auto& d : namespace_functions(t.tokens)) {
        if (d.detail || in_header.count(d.name)) continue;
        in_header.insert(d.name);
        if (!listed[b.name].count(d.name))
          add(rel, d.line, "list", "the boundary header declares " + d.name + "(), which " + b.name + "'s boundary list does not name",
              b.name, b.name);
      }
      for (const auto& i : t.includes) {
        if (i.path.rfind("hakmem/", 0) == 0)
          for (const auto& d : namespace_functions(tokenize(slurp(root / "include" / i.path)).tokens)) in_header.insert(d.name);
        auto [to, rest] = include_box(i.path, by_name);
        if (to == b.name && rest != "inspect.h") todo.push_back(to + "/" + rest);
      }
    }
    std::string rel = "alloc/" + b.name + "/" + b.name + ".h";
    int def_line = 0;
    for (size_t k = 0; k < def_lines.size(); ++k)
      if (def_lines[k].find("HM_BOX(") != std::string::npos && def_lines[k].find("\"" + b.name + "\"") != std::string::npos)
        def_line = static_cast<int>(k + 1);
    for (const auto& nm : b.boundary)
      if (!in_header.count(nm))
        add(registry_file, def_line, "list", b.name + "'s boundary list names " + nm + ", which " + rel + " does not declare",
            b.name, b.name);
  }

  // Rules detail, include, call: the files of each box, and the registry tables they include (their
  // macros expand in the box's code: counters.def's sources are calls the stats box makes).
  for (const auto& b : boxes) {
    std::vector<Scanned> defs;
    for (const auto& f : files[b.name])
      for (const auto& inc : f.t.includes) {
        if (inc.path.rfind("registry/", 0) != 0 || !ends_with(inc.path, ".def")) continue;
        std::string rel = "alloc/" + inc.path;
        bool have = std::any_of(defs.begin(), defs.end(), [&](const Scanned& d) { return d.rel == rel; });
        if (!have && fs::exists(root / rel, ec)) defs.push_back({rel, tokenize(slurp(root / rel)), " (through " + f.rel + ")"});
      }
    std::vector<Scanned> all = files[b.name];
    all.insert(all.end(), defs.begin(), defs.end());
    for (const auto& f : all) {
      for (const auto& inc : f.t.includes) {
        auto [to, rest] = include_box(inc.path, by_name);
        if (to.empty() || to == b.name || rest == to + ".h") continue;
        add(f.rel, inc.line, "include", "box " + b.name + " includes \"" + inc.path + "\", not " + to + "'s boundary header " + to + "/" + to + ".h",
            b.name, to);
      }
      const auto& tk = f.t.tokens;
      for (size_t i = 0; i < tk.size(); ++i) {
        const std::string& t = tk[i].text;
        if (ends_with(t, "_detail")) {
          std::string to = t.substr(0, t.size() - 7);
          if (by_name.count(to) && to != b.name)
            add(f.rel, tk[i].line, "detail", "box " + b.name + f.via + " uses " + t + (i + 2 < tk.size() && tk[i + 1].text == "::" ? "::" + tk[i + 2].text : ""),
                b.name, to);
          continue;
        }
        if (i + 1 >= tk.size() || tk[i + 1].text != "(" || !function_name(t)) continue;
        if (i > 0 && (tk[i - 1].text == "." || tk[i - 1].text == "->")) continue;  // a member
        auto o = owner.find(t);
        if (o == owner.end() || o->second.empty() || o->second == b.name || declared_any[b.name].count(t)) continue;
        if (!listed[o->second].count(t))
          add(f.rel, tk[i].line, "call", "box " + b.name + f.via + " calls " + t + "(), declared by box " + o->second +
              " but not in its boundary list", b.name, o->second);
      }
    }
  }

  // Rule inspect: declared inspection headers exist, and every alloc/Y/inspect.h is declared.
  std::map<std::string, std::set<std::string>> inspect_names;
  for (const auto& b : boxes) {
    std::string want = "alloc/" + b.name + "/inspect.h";
    bool there = fs::exists(root / want, ec);
    if (!b.inspect.empty()) {
      if (!fs::exists(root / b.inspect, ec))
        add(b.inspect, 0, "inspect", "the registry declares " + b.name + "'s inspection header " + b.inspect + ", which is missing", "", b.name);
      else
        inspect_names[b.name] = names_in_namespace(tokenize(slurp(root / b.inspect)).tokens, b.name + "_detail");
    }
    if (there && b.inspect != want)
      add(want, 1, "inspect", want + " is not declared in the registry (alloc/registry/inspect.def)", "", b.name);
  }

  // Rule outside: what code outside alloc/ may use of a box.
  std::map<std::string, InspectReach> reach;
  for (const auto& b : boxes)
    if (!b.inspect.empty()) reach[b.name] = {b.name, b.inspect, {}};
  for (const char* top : {"invariants", "tests", "fuzz", "bench", "review", "tools"}) {
    for (const auto& path : code_files(root / top)) {
      Scanned f = scan(path, tree);
      for (const auto& inc : f.t.includes) {
        auto [to, rest] = include_box(inc.path, by_name);
        if (to.empty() || rest == to + ".h") continue;
        const BoundaryBox& y = *by_name[to];
        if (!y.inspect.empty() && "alloc/" + to + "/" + rest == y.inspect) {
          reach[to].files.push_back(f.rel);
          continue;
        }
        add(f.rel, inc.line, "outside", "includes \"" + inc.path + "\": outside alloc/ only " + to + "/" + to + ".h" +
            (y.inspect.empty() ? std::string() : " and " + y.inspect) + " are open", "", to);
      }
      const auto& tk = f.t.tokens;
      for (size_t i = 0; i + 2 < tk.size(); ++i) {
        const std::string& t = tk[i].text;
        if (!ends_with(t, "_detail") || tk[i + 1].text != "::") continue;
        std::string to = t.substr(0, t.size() - 7);
        if (!by_name.count(to) || inspect_names[to].count(tk[i + 2].text)) continue;
        add(f.rel, tk[i].line, "outside", "uses " + t + "::" + tk[i + 2].text + ", which " +
            (by_name[to]->inspect.empty() ? to + " declares in no inspection header" : by_name[to]->inspect + " does not declare"),
            "", to);
      }
    }
  }
  for (const auto& b : boxes)
    if (reach.count(b.name)) {
      auto& r = reach[b.name];
      r.files.erase(std::unique(r.files.begin(), r.files.end()), r.files.end());
      c.reach.push_back(r);
    }
  return c;
}

}  // namespace hm_tools
