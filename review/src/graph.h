// The box graph: declared edges (registry deps) checked against the real include graph of alloc/
// (tools/common/boxgraph.h), rendered as ASCII (by layer) and as graphviz DOT.
#pragma once

#include <string>
#include <vector>

#include "common/boundary.h"
#include "common/boxgraph.h"
#include "model.h"

namespace hm::review {

using hm_tools::IncludeEdge;

// The include and layer check of tools/common/boxgraph.h, plus the boundary functions the registry lists
// that the box's headers do not declare.
struct GraphCheck : hm_tools::BoxGraphCheck {
  std::vector<std::string> missing_boundary; // "box.function" declared in the registry, absent from its headers
  hm_tools::BoundaryCheck boundary;           // tools/common/boundary.h over the tree (inspection headers: alloc/<box>/inspect.h)
};

// The registry's boxes as the box graph sees them.
std::vector<hm_tools::BoxNode> box_nodes(const Registry& reg);
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
