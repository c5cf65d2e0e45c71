// The HAKMEM_* gates known to this build, read from alloc/registry/gates.def
// (the single declaration of every gate), so the A/B runner can refuse a
// misspelt gate and name the box a gate belongs to.
#pragma once

#include <string>
#include <vector>

namespace hmb {

struct GateInfo {
  std::string env;
  std::string box;
};
const std::vector<GateInfo>& known_gates();
// Box of the gate, or "" when unknown.
std::string box_of_gate(const std::string& env);
// Boxes of the comma-separated gate list, deduplicated in order, joined with ','.
std::string boxes_of_gates(const std::string& gate_list);

}  // namespace hmb
