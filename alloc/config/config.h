// config box boundary: every HAKMEM_* gate, read once at start-up.
// The hot path never calls getenv; boxes copy what they need when they set up.
#pragma once

#include "base.h"

namespace hm {

struct Config {
#define HM_GATE(field, env, box, def, mn, mx, desc) long field = def;
#define HM_GATE_STR(field, env, box, desc) char field[256] = {};
#include "registry/gates.def"
#undef HM_GATE
#undef HM_GATE_STR
};

namespace config_detail {
extern Config g_config;
}

// The gates in force. Valid after config_init(); before that, the defaults.
HM_FAST_PATH const Config& config() { return config_detail::g_config; }

// Reads the environment once (idempotent). Aborts with a clear message on a malformed
// or out-of-range value; warns once on stderr about HAKMEM_* variables that are no gate.
void config_init();

// Parses one gate assignment into cfg as config_init would; returns false (and sets *why)
// on an unknown name or a bad value. For tests and tools.
bool gate_value(Config& cfg, const char* name, const char* value, const char** why);

}  // namespace hm
