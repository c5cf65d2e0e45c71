// The review kit's Registry built from the registry tables linked into it (alloc/registry/registry.h),
// with the same content as parse_registry() of their JSON dump.
#include <sstream>

#include "model.h"
#include "registry/registry.h"

namespace hm::review {

namespace {

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

Registry linked_registry(const std::string& source) {
  namespace reg = hm::registry;
  Registry r;
  r.source = source;
  for (const auto& b : reg::kBoxes) {
    Box x{std::string(b.name), b.layer, std::string(b.job), words(b.boundary), words(b.deps), {}, {}};
    for (const auto& g : reg::kGates)
      if (g.box == b.name) x.gates.emplace_back(g.env);
    for (const auto& i : reg::kInvariants)
      if (i.box == b.name) x.invariants.emplace_back(i.id);
    r.boxes.push_back(std::move(x));
  }
  for (const auto& g : reg::kGates) {
    Gate x;
    x.name = g.env;
    x.box = g.box;
    x.description = g.description;
    if (g.type == reg::GateType::Int) {
      x.type = "int";
      x.def = std::to_string(g.def);
      x.min = g.min;
      x.max = g.max;
    } else {
      x.type = "string";
    }
    r.gates.push_back(std::move(x));
  }
  for (const auto& i : reg::kInvariants)
    r.invariants.push_back({std::string(i.id), std::string(i.box), i.cost == reg::Cost::O1 ? "O(1)" : "O(n)",
                            std::string(i.text)});
  for (const auto& e : reg::kErrors)
    r.errors.push_back({std::string(e.text), std::string(e.box), std::string(e.invariant)});
  return r;
}

}  // namespace hm::review
