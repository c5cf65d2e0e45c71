// invariants/: the config box. INV-CONFIG-1: every integer gate lies in its declared range,
// every string gate is terminated inside its field.
#include "check.h"
#include "config/config.h"

namespace hm::check {

void check_config(Sink& s) {
  const Config& c = config();
  Where w;
  w.addr = &c;
#define HM_GATE(field, env, box, def, mn, mx, desc)                                               \
  if (c.field < (mn) || c.field > (mx))                                                           \
    s.fail_found(registry::InvId::config_range, w, env " in [" #mn ", " #mx "]", env, static_cast<uint64_t>(c.field));
#define HM_GATE_STR(field, env, box, desc)                                                        \
  if (c.field[sizeof c.field - 1] != '\0')                                                        \
    s.fail_text(registry::InvId::config_range, w, env " terminated", env " not terminated");
#include "registry/gates.def"
#undef HM_GATE
#undef HM_GATE_STR
}

}  // namespace hm::check
