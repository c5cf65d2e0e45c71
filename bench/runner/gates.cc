#include "runner/gates.h"

#include <sstream>

namespace hmb {

const std::vector<GateInfo>& known_gates() {
  static const std::vector<GateInfo> gates = {
#define HM_GATE(field, env, box, ...) {env, box},
#define HM_GATE_STR(field, env, box, ...) {env, box},
#include "registry/gates.def"
#undef HM_GATE
#undef HM_GATE_STR
  };
  return gates;
}

std::string box_of_gate(const std::string& env) {
  for (const auto& g : known_gates())
    if (g.env == env) return g.box;
  return "";
}

std::string boxes_of_gates(const std::string& gate_list) {
  std::string out, name;
  std::istringstream in(gate_list);
  while (std::getline(in, name, ',')) {
    std::string box = box_of_gate(name);
    if (box.empty() || ("," + out + ",").find("," + box + ",") != std::string::npos) continue;
    out += (out.empty() ? "" : ",") + box;
  }
  return out;
}

}  // namespace hmb
