// Box graph: include scan of alloc/, comparison with the registry's declared deps, ASCII and DOT output.
#include "graph.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace hm::review {

namespace fs = std::filesystem;

namespace {

bool source_file(const fs::path& p) {
  static const std::set<std::string> ext = {".h", ".hpp", ".cc", ".cpp", ".inc", ".def"};
  return ext.count(p.extension().string()) > 0;
}

std::vector<fs::path> sorted_files(const fs::path& dir, bool recursive) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  if (recursive) {
    for (const auto& e : fs::recursive_directory_iterator(dir, ec))
      if (e.is_regular_file() && source_file(e.path())) out.push_back(e.path());
  } else {
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_regular_file()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string rel(const fs::path& p, const std::string& tree) {
  return fs::path(p).lexically_relative(fs::path(tree)).generic_string();
}

int index_of(const Registry& reg, const std::string& name) {
  for (size_t i = 0; i < reg.boxes.size(); ++i)
    if (reg.boxes[i].name == name) return int(i);
  return int(reg.boxes.size());
}

// Deps ordered by layer (highest first), then registry order.
std::vector<std::string> ordered_deps(const Registry& reg, const Box& b) {
  std::vector<std::string> d = b.deps;
  std::stable_sort(d.begin(), d.end(), [&](const std::string& x, const std::string& y) {
    const Box* bx = reg.box(x);
    const Box* by = reg.box(y);
    int lx = bx ? bx->layer : -1, ly = by ? by->layer : -1;
    if (lx != ly) return lx > ly;
    return index_of(reg, x) < index_of(reg, y);
  });
  return d;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

}  // namespace

std::vector<IncludeEdge> scan_includes(const std::string& tree, const Registry& reg) {
  static const std::regex inc_re(R"(^\s*#\s*include\s*"([A-Za-z0-9_]+)/[^"]*")");
  std::vector<IncludeEdge> out;
  for (const auto& b : reg.boxes) {
    for (const auto& f : sorted_files(fs::path(tree) / "alloc" / b.name, true)) {
      std::istringstream in(read_file(f.string()));
      std::string line;
      int n = 0;
      while (std::getline(in, line)) {
        ++n;
        std::smatch m;
        if (!std::regex_search(line, m, inc_re)) continue;
        std::string to = m[1].str();
        if (to == b.name || !reg.box(to)) continue;
        out.push_back({b.name, to, rel(f, tree), n});
      }
    }
  }
  return out;
}

GraphCheck check_graph(const std::string& tree, const Registry& reg) {
  GraphCheck c;
  fs::path alloc = fs::path(tree) / "alloc";
  std::error_code ec;
  c.scanned = fs::is_directory(alloc, ec);
  std::set<std::pair<std::string, std::string>> used;
  if (c.scanned) {
    for (const auto& b : reg.boxes)
      if (!fs::is_directory(alloc / b.name, ec)) c.missing_folders.push_back(b.name);
    std::vector<std::string> dirs;
    for (const auto& e : fs::directory_iterator(alloc, ec))
      if (e.is_directory()) dirs.push_back(e.path().filename().string());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& d : dirs)
      if (d != "registry" && !reg.box(d)) c.unknown_folders.push_back(d);
    for (const auto& b : reg.boxes) {
      if (!fs::is_directory(alloc / b.name, ec)) continue;
      for (const auto& fn : b.boundary)
        if (find_signature(tree, b.name, fn).ret.empty()) c.missing_boundary.push_back(b.name + "." + fn);
    }
    for (const auto& e : scan_includes(tree, reg)) {
      const Box* from = reg.box(e.from);
      bool declared = std::find(from->deps.begin(), from->deps.end(), e.to) != from->deps.end();
      if (!declared && !used.count({e.from, e.to})) c.undeclared.push_back(e);
      used.insert({e.from, e.to});
    }
  }
  for (const auto& b : reg.boxes)
    for (const auto& d : ordered_deps(reg, b)) {
      const Box* to = reg.box(d);
      if (!to) {
        c.unknown_deps.push_back(b.name + " -> " + d);
        continue;
      }
      if (to->layer >= b.layer)
        c.layer_problems.push_back(b.name + " (layer " + std::to_string(b.layer) + ") -> " + d + " (layer " +
                                   std::to_string(to->layer) + ")");
      if (used.count({b.name, d}))
        c.seen.emplace_back(b.name, d);
      else
        c.unseen.emplace_back(b.name, d);
    }
  return c;
}

std::string ascii_diagram(const Registry& reg) {
  size_t w = 0;
  for (const auto& b : reg.boxes) w = std::max(w, b.name.size());
  std::ostringstream o;
  for (int l = reg.max_layer(); l >= 0; --l) {
    bool first = true;
    for (const auto& b : reg.boxes) {
      if (b.layer != l) continue;
      std::string head = first ? "L" + std::to_string(l) : "";
      first = false;
      std::string cell = "[" + b.name + "]";
      o << head << std::string(4 - std::min<size_t>(4, head.size()), ' ') << cell;
      auto deps = ordered_deps(reg, b);
      if (!deps.empty()) o << std::string(w + 3 - cell.size(), ' ') << "--> " << join(deps, ", ");
      o << "\n";
    }
  }
  return o.str();
}

std::string graph_text(const Registry& reg, const GraphCheck& c) {
  std::ostringstream o;
  o << "Box graph: " << reg.boxes.size() << " boxes by layer (highest first); \"a --> b, c\" means box a\n"
    << "includes the boundary headers of b and c. Source: the box registry (" << reg.source << ").\n\n";
  o << ascii_diagram(reg) << "\n";
  if (!c.scanned) {
    o << "Include check: alloc/ was not found, so the declared edges were not checked against the code.\n";
  } else {
    o << "Include check against alloc/ (#include \"<box>/...\" between box folders):\n";
    o << "  declared edges used by the code: " << c.seen.size() << " of " << (c.seen.size() + c.unseen.size()) << "\n";
    o << "  undeclared include edges: " << (c.undeclared.empty() ? "none" : std::to_string(c.undeclared.size())) << "\n";
    for (const auto& e : c.undeclared)
      o << "    " << e.from << " -> " << e.to << "  (" << e.file << ":" << e.line << ")\n";
    if (!c.unseen.empty()) {
      std::vector<std::string> v;
      for (const auto& [a, b] : c.unseen) v.push_back(a + " -> " + b);
      o << "  declared but not included yet: " << join(v, ", ") << "\n";
    }
    if (!c.missing_folders.empty()) o << "  boxes without a folder under alloc/: " << join(c.missing_folders, ", ") << "\n";
    if (!c.unknown_folders.empty()) o << "  folders under alloc/ that are not boxes: " << join(c.unknown_folders, ", ") << "\n";
    if (!c.missing_boundary.empty())
      o << "  boundary functions of the registry not declared in their box's headers or include/hakmem/: "
        << join(c.missing_boundary, ", ") << "\n";
  }
  if (!c.layer_problems.empty()) {
    o << "Layer rule (a box depends only on boxes of a lower layer) does not hold for:\n";
    for (const auto& p : c.layer_problems) o << "  " << p << "\n";
  }
  for (const auto& u : c.unknown_deps) o << "Declared dependency on a box that does not exist: " << u << "\n";
  return o.str();
}

std::string graph_dot(const Registry& reg, const GraphCheck& c) {
  std::ostringstream o;
  o << "// Box graph of hakmem, generated by `hakmem review` from the box registry; do not edit.\n"
    << "// Solid: declared and included; dashed grey: declared, not included yet; red: included, undeclared.\n"
    << "digraph hakmem_boxes {\n"
    << "  rankdir=TB;\n  newrank=true;\n"
    << "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n"
    << "  edge [color=\"#444444\", arrowsize=0.7, fontname=\"Helvetica\", fontsize=10];\n";
  for (int l = reg.max_layer(); l >= 0; --l) {
    o << "  subgraph layer" << l << " {\n    rank=same;\n";
    o << "    \"L" << l << "\" [shape=plaintext, style=\"\", fontcolor=\"#777777\"];\n";
    for (const auto& b : reg.boxes) {
      if (b.layer != l) continue;
      std::string job;
      for (char ch : b.job) job += (ch == '"' ? '\'' : ch);
      o << "    \"" << b.name << "\" [tooltip=\"" << job << "\"];\n";
    }
    o << "  }\n";
  }
  for (int l = reg.max_layer(); l > 0; --l)
    o << "  \"L" << l << "\" -> \"L" << (l - 1) << "\" [style=invis];\n";
  for (const auto& [a, b] : c.seen) o << "  \"" << a << "\" -> \"" << b << "\";\n";
  for (const auto& [a, b] : c.unseen)
    o << "  \"" << a << "\" -> \"" << b << "\"" << (c.scanned ? " [style=dashed, color=\"#999999\"]" : "") << ";\n";
  for (const auto& e : c.undeclared)
    o << "  \"" << e.from << "\" -> \"" << e.to << "\" [color=red, penwidth=2, label=\"undeclared\", fontcolor=red];\n";
  o << "}\n";
  return o.str();
}

std::vector<std::string> box_headers(const std::string& tree, const std::string& box) {
  std::vector<std::string> out;
  for (const auto& f : sorted_files(fs::path(tree) / "alloc" / box, false))
    if (f.extension() == ".h" || f.extension() == ".hpp") out.push_back(rel(f, tree));
  return out;
}

namespace {

std::string squeeze(const std::string& s) {
  std::string o;
  bool sp = false;
  for (char ch : s) {
    if (ch == '\n' || ch == '\t' || ch == '\r' || ch == ' ') {
      sp = !o.empty();
      continue;
    }
    if (sp) o += ' ';
    sp = false;
    o += ch;
  }
  return o;
}

std::string strip_specifiers(std::string r) {
  static const std::regex spec(
      R"(\[\[[^\]]*\]\]|\b(inline|static|extern|constexpr|HM_[A-Z0-9_]+|__attribute__\s*\(\([^)]*\)\))\b|"C")");
  r = std::regex_replace(r, spec, "");
  return squeeze(r);
}

}  // namespace

Signature find_signature(const std::string& tree, const std::string& box, const std::string& fn) {
  const std::regex name_re("(^|[^A-Za-z0-9_.>])" + fn + R"(\s*\()");
  // The box's own headers first, then the public headers (the front box's boundary is the public API).
  std::vector<std::string> headers = box_headers(tree, box);
  for (const auto& f : sorted_files(fs::path(tree) / "include" / "hakmem", false))
    if (f.extension() == ".h") headers.push_back(rel(f, tree));
  for (const auto& h : headers) {
    std::string text = read_file((fs::path(tree) / h).string());
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    size_t offset = 0;
    for (size_t i = 0; i < lines.size(); offset += lines[i].size() + 1, ++i) {
      const std::string& l = lines[i];
      auto first = l.find_first_not_of(" \t");
      if (first == std::string::npos || l.compare(first, 2, "//") == 0 || l[first] == '*' || l[first] == '#') continue;
      std::smatch m;
      if (!std::regex_search(l, m, name_re)) continue;
      size_t name_pos = size_t(m.position(0)) + m[1].length();
      std::string ret = strip_specifiers(l.substr(0, name_pos));
      if (ret.empty() && i > 0) ret = strip_specifiers(lines[i - 1]);
      if (ret.empty() || ret.find_first_of(";{}=(") != std::string::npos) continue;
      size_t open = offset + name_pos + fn.size();
      open = text.find('(', open);
      int depth = 0;
      size_t close = open;
      for (; close < text.size(); ++close) {
        if (text[close] == '(') ++depth;
        if (text[close] == ')' && --depth == 0) break;
      }
      if (close >= text.size()) continue;
      std::string args = squeeze(text.substr(open + 1, close - open - 1));
      return {ret, args.empty() ? "void" : args, h};
    }
  }
  return {};
}

}  // namespace hm::review
