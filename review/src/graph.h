// The box graph: declared edges (registry deps) checked against the real include graph of alloc/,
// rendered as ASCII (by layer) and as graphviz DOT.
#pragma once

#include <string>
#include <vector>

#include "model.h"

namespace hm::review {

struct IncludeEdge {
  std::string from, to;
  std::string file;  // repo-relative file that holds the include
  int line = 0;
};

struct GraphCheck {
  bool scanned = false;                      // alloc/ exists in the scanned tree
  std::vector<std::string> missing_folders;  // registry boxes without alloc/<box>/
  std::vector<std::string> unknown_folders;  // alloc/<dir>/ that is neither a box nor "registry"
  std::vector<IncludeEdge> undeclared;       // include edges the registry does not declare (first site each)
  std::vector<std::pair<std::string, std::string>> unseen;  // declared edges with no include yet
  std::vector<std::pair<std::string, std::string>> seen;    // declared edges that the code uses
  std::vector<std::string> layer_problems;   // declared edges that do not point to a lower layer
  std::vector<std::string> unknown_deps;     // deps naming no box
  std::vector<std::string> missing_boundary; // "box.function" declared in the registry, absent from its headers
};

// Scans <tree>/alloc/<box>/ (recursively; .h .hpp .cc .cpp .inc .def) for #include "<otherbox>/...".
std::vector<IncludeEdge> scan_includes(const std::string& tree, const Registry& reg);
GraphCheck check_graph(const std::string& tree, const Registry& reg);

// ASCII diagram by layer, highest first, each box with the boxes it depends on.
std::string ascii_diagram(const Registry& reg);
// The full graph.txt: diagram plus the include check.
std::string graph_text(const Registry& reg, const GraphCheck& chk);
std::string graph_dot(const Registry& reg, const GraphCheck& chk);

// Boundary function signature from the box's headers (alloc/<box>/*.h), else from the public headers
// (include/hakmem/*.h); empty `ret` when not found.
struct Signature {
  std::string ret, args, header;
};
Signature find_signature(const std::string& tree, const std::string& box, const std::string& fn);
// Repo-relative headers of alloc/<box>/, sorted.
std::vector<std::string> box_headers(const std::string& tree, const std::string& box);

}  // namespace hm::review
