// Fuzz harness of the config box: gate_value with input-chosen names and values (registry
// names, mutated names, arbitrary bytes) against the registry's ranges; config_init is
// idempotent and config() keeps every gate within its declared range.
#include <string>

#include "config/config.h"
#include "fuzz_common.h"
#include "registry/registry.h"

using namespace hm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  config_init();
  Config cfg;
  while (in.more()) {
    uint8_t op = in.u8();
    const auto& g = registry::kGates[in.u8() % std::size(registry::kGates)];
    std::string name(g.env);
    if (op & 1) {  // a mutated or arbitrary name
      char buf[32];
      size_t k = in.bytes(buf, in.u8() % 24);
      name = (op & 2) ? name.substr(0, name.size() - (name.size() > 8 ? 1 : 0)) + std::string(buf, k)
                      : std::string(buf, k);
    }
    char vbuf[300];
    size_t vk = in.bytes(vbuf, in.u16() % 300);
    std::string value(vbuf, vk);
    value = value.substr(0, value.find('\0'));
    name = name.substr(0, name.find('\0'));
    Config before = cfg;
    const char* why = "unset";
    bool ok = gate_value(cfg, name.c_str(), value.c_str(), &why);
    HM_FUZZ_CHECK(ok == (why == nullptr));
    bool known = false;
    for (const auto& k : registry::kGates) known = known || k.env == name;
    if (!known) HM_FUZZ_CHECK(!ok);
    if (!ok) HM_FUZZ_CHECK(std::memcmp(&before, &cfg, sizeof cfg) == 0);  // rejected: unchanged
    if (ok && g.env == name && g.type == registry::GateType::Int) {
      // Accepted integers are canonical decimal numbers inside the range.
      long v = std::strtol(value.c_str(), nullptr, 10);
      HM_FUZZ_CHECK(v >= g.min && v <= g.max);
    }
    hm_fuzz::check_invariants("config");
  }
  config_init();
  const Config& c = config();
#define HM_GATE(field, env, box, def, mn, mx, desc) HM_FUZZ_CHECK(c.field >= (mn) && c.field <= (mx));
#define HM_GATE_STR(field, env, box, desc) HM_FUZZ_CHECK(std::strlen(c.field) < sizeof c.field);
#include "registry/gates.def"
#undef HM_GATE
#undef HM_GATE_STR
  return 0;
}
