// The architecture check of alloc/, written once: the include edges between box folders against the
// registry's declared deps, and the layer rule. Used by `hakmem review graph` and by the test that holds
// the real tree to it (tests/tools/boxgraph_test.cc).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hm_tools {

// One box as the graph sees it (from alloc/registry/boxes.def, or a registry file of another tree).
struct BoxNode {
  std::string name;
  int layer = 0;
  std::vector<std::string> deps;
};

// The boxes of the registry linked into this program, in registry order.
std::vector<BoxNode> registry_boxes();

// The layer rule: a box depends only on boxes of a strictly lower layer.
constexpr bool layer_allows(int from_layer, int to_layer) { return to_layer < from_layer; }

struct IncludeEdge {
  std::string from, to;
  std::string file;  // tree-relative file that holds the include
  int line = 0;
};

struct BoxGraphCheck {
  bool scanned = false;                      // alloc/ exists in the scanned tree
  std::vector<std::string> missing_folders;  // boxes without alloc/<box>/
  std::vector<std::string> unknown_folders;  // alloc/<dir>/ that is neither a box nor "registry"
  std::vector<IncludeEdge> undeclared;       // include edges no dep declares (first site of each)
  std::vector<std::pair<std::string, std::string>> unseen;  // declared edges with no include yet
  std::vector<std::pair<std::string, std::string>> seen;    // declared edges that the code uses
  std::vector<std::string> layer_problems;   // "a (layer 3) -> b (layer 3)": deps the layer rule forbids
  std::vector<std::string> unknown_deps;     // "a -> x": deps naming no box
};

const BoxNode* find_node(const std::vector<BoxNode>& boxes, const std::string& name);
// A box's deps ordered by layer (highest first), then registry order.
std::vector<std::string> ordered_deps(const std::vector<BoxNode>& boxes, const BoxNode& b);
// The declared deps that break the layer rule, and those naming no box ("a -> x").
std::vector<std::string> layer_problems(const std::vector<BoxNode>& boxes, std::vector<std::string>* unknown = nullptr);
// Scans <tree>/alloc/<box>/ (recursively; .h .hpp .cc .cpp .inc .def) for #include "<otherbox>/...".
std::vector<IncludeEdge> scan_includes(const std::string& tree, const std::vector<BoxNode>& boxes);
BoxGraphCheck check_box_graph(const std::string& tree, const std::vector<BoxNode>& boxes);

}  // namespace hm_tools
