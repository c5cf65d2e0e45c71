// Box graph: the check of tools/common/boxgraph.h over the registry, boundary signatures, ASCII and DOT output.
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

std::vector<fs::path> sorted_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string rel(const fs::path& p, const std::string& tree) {
  return fs::path(p).lexically_relative(fs::path(tree)).generic_string();
}

// Deps ordered by layer (highest first), then registry order.
std::vector<std::string> ordered_deps(const Registry& reg, const Box& b) {
  auto nodes = box_nodes(reg);
  return hm_tools::ordered_deps(nodes, *hm_tools::find_node(nodes, b.name));
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

}  // namespace

std::vector<hm_tools::BoxNode> box_nodes(const Registry& reg) {
  std::vector<hm_tools::BoxNode> out;
  for (const auto& b : reg.boxes) out.push_back({b.name, b.layer, b.deps});
  return out;
}

std::vector<IncludeEdge> scan_includes(const std::string& tree, const Registry& reg) {
  return hm_tools::scan_includes(tree, box_nodes(reg));
}

GraphCheck check_graph(const std::string& tree, const Registry& reg) {
  GraphCheck c;
  static_cast<hm_tools::BoxGraphCheck&>(c) = hm_tools::check_box_graph(tree, box_nodes(reg));
  std::error_code ec;
  std::vector<hm_tools::BoundaryBox> bb;
  for (const auto& b : reg.boxes) {
    std::string inspect = "alloc/" + b.name + "/inspect.h";
    bb.push_back({b.name, b.boundary, fs::exists(fs::path(tree) / inspect, ec) ? inspect : ""});
  }
  c.boundary = hm_tools::check_boundaries(tree, bb);
  if (c.scanned)
    for (const auto& b : reg.boxes) {
      if (!fs::is_directory(fs::path(tree) / "alloc" / b.name, ec)) continue;
      for (const auto& fn : b.boundary)
        if (find_signature(tree, b.name, fn).ret.empty()) c.missing_boundary.push_back(b.name + "." + fn);
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
    std::map<std::string, int> rules;
    for (const auto& v : c.boundary.violations) rules[v.rule]++;
    std::vector<std::string> counts;
    for (const auto& [r, n] : rules) counts.push_back(r + " " + std::to_string(n));
    o << "Boundary check (tools/common/boundary.h; tests/tools/boundary_test.cc lists each): "
      << (counts.empty() ? "no violations" : std::to_string(c.boundary.violations.size()) + " violations (" + join(counts, ", ") + ")")
      << "\n";
    std::vector<std::string> reach;
    for (const auto& r : c.boundary.reach) reach.push_back(r.box + " " + std::to_string(r.files.size()));
    o << "  inspection headers, files outside alloc/ that include them: " << (reach.empty() ? "none" : join(reach, ", ")) << "\n";
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
  for (const auto& f : sorted_files(fs::path(tree) / "alloc" / box))
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
  for (const auto& f : sorted_files(fs::path(tree) / "include" / "hakmem"))
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
