// Property test of the config box: gate_value, config_init and config().
//
// Model: the value of every gate of the registry (kGates), starting at its default. A command
// assigns a gate (known or misspelt name, value in range, out of range, not a number, or an
// over-long path) with gate_value: the model predicts acceptance from the registry's range and
// the field's new value; rejected assignments change nothing. After every command all fields
// equal the model. config_init is idempotent and config() equals the defaults overlaid with the
// environment's HAKMEM_* assignments.
#include <string>
#include <vector>

#include "config/config.h"
#include "property_common.h"
#include "registry/registry.h"

extern char** environ;

namespace {

using namespace hm;

// Field accessors in registry order.
struct Field {
  long* (*num)(Config&);
  char* (*str)(Config&);
};
const std::vector<Field>& fields() {
  static const std::vector<Field> f = {
#define HM_GATE(field, env, box, def, mn, mx, desc) {[](Config& c) { return &c.field; }, nullptr},
#define HM_GATE_STR(field, env, box, desc) {nullptr, [](Config& c) { return &c.field[0]; }},
#include "registry/gates.def"
#undef HM_GATE
#undef HM_GATE_STR
  };
  return f;
}
constexpr size_t kGateCount = std::size(registry::kGates);

struct Model {
  std::vector<long> num;
  std::vector<std::string> str;
};
struct Sut {
  Config cfg;
};
using Cmd = rc::state::Command<Model, Sut>;

Model defaults() {
  Model m;
  Config c;
  for (size_t i = 0; i < kGateCount; ++i) {
    m.num.push_back(fields()[i].num ? *fields()[i].num(c) : 0);
    m.str.push_back(fields()[i].str ? fields()[i].str(c) : "");
  }
  return m;
}

void check_all(const Model& m, Sut& s) {
  for (size_t i = 0; i < kGateCount; ++i) {
    if (fields()[i].num) RC_ASSERT(*fields()[i].num(s.cfg) == m.num[i]);
    else RC_ASSERT(std::string(fields()[i].str(s.cfg)) == m.str[i]);
  }
  hm_prop::check_invariants("config");
}

struct Assign : Cmd {
  size_t gate = *rc::gen::inRange<size_t>(0, kGateCount);
  int name_kind = *rc::gen::weightedOneOf<int>({{6, rc::gen::just(0)}, {1, rc::gen::just(1)}, {1, rc::gen::just(2)}});
  int value_kind = *rc::gen::inRange(0, 6);
  long offset = *rc::gen::inRange<long>(0, 100000);
  std::string text = *rc::gen::container<std::string>(rc::gen::inRange('!', '~'));

  std::string name() const {
    std::string n(registry::kGates[gate].env);
    if (name_kind == 1) n.back() = n.back() == 'X' ? 'Y' : 'X';  // a misspelling
    if (name_kind == 2) n = "HAKMEM_NO_SUCH_GATE";
    return n;
  }
  std::string value() const {
    const auto& g = registry::kGates[gate];
    switch (value_kind) {
      case 0: return std::to_string(g.min + offset % (g.max - g.min + 1));  // in range
      case 1: return std::to_string(g.max + 1 + offset);                     // above
      case 2: return std::to_string(g.min - 1 - offset);                     // below
      case 3: return "";                                                    // empty
      case 4: return text + "x";                                            // not a number
      default: return std::string(256 + static_cast<size_t>(offset % 50), 'p');  // an over-long path
    }
  }
  // Whether gate_value must accept, and the field's new value.
  bool accepts() const {
    if (name_kind != 0) return false;
    const auto& g = registry::kGates[gate];
    std::string v = value();
    if (g.type == registry::GateType::Str) return v.size() < 256;
    return value_kind == 0;
  }
  void apply(Model& m) const override {
    if (!accepts()) return;
    if (registry::kGates[gate].type == registry::GateType::Str) m.str[gate] = value();
    else m.num[gate] = std::stol(value());
  }
  void run(const Model& m, Sut& s) const override {
    const char* why = "unset";
    bool ok = gate_value(s.cfg, name().c_str(), value().c_str(), &why);
    RC_ASSERT(ok == accepts());
    RC_ASSERT(bool(ok == (why == nullptr)));
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "gate_value(" << name() << ", \"" << value().substr(0, 40) << "\")"; }
};

RC_GTEST_PROP(ConfigProperty, GateAssignmentsMatchRegistryModel, ()) {
  Model m = defaults();
  Sut s;
  check_all(m, s);
  rc::state::check(m, s, rc::state::gen::execOneOfWithArgs<Assign>());
}

// config() after config_init() is the defaults overlaid with this process's environment,
// computed here with gate_value over environ (the model), and config_init is idempotent.
TEST(ConfigProperty, ConfigInitMatchesEnvironmentModel) {
  Config want;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    if (kv.rfind("HAKMEM_", 0) != 0 || kv.find('=') == std::string::npos) continue;
    gate_value(want, kv.substr(0, kv.find('=')).c_str(), kv.substr(kv.find('=') + 1).c_str(), nullptr);
  }
  config_init();
  config_init();
  Config got = config();
  for (size_t i = 0; i < kGateCount; ++i) {
    if (fields()[i].num) EXPECT_EQ(*fields()[i].num(got), *fields()[i].num(want)) << registry::kGates[i].env;
    else EXPECT_STREQ(fields()[i].str(got), fields()[i].str(want)) << registry::kGates[i].env;
  }
}

}  // namespace
