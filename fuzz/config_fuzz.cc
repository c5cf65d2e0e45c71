// Fuzz harness of the config box: gate_value with input-chosen names and values (registry
// names, mutated names, arbitrary bytes) against the registry's ranges; config_init is
// idempotent and config() keeps every gate within its declared range. The registry's lookups
// (find_box, find_invariant) get the same names, and its JSON and Markdown tables are checked
// once per process to name every box, gate and invariant.
//
// config_init reads the environment once per process, before any input (the front's load-time
// constructor calls it): a constructor that runs earlier sets a known gate to its default value,
// a misspelt gate and an unknown HAKMEM_ name, and sends stderr to a pipe; the first input
// checks the two warnings config_init wrote there ("did you mean" for the misspelt one only),
// then gives stderr back with what it held.
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "config/config.h"
#include "fuzz_common.h"
#include "hakmem/hakmem.h"
#include "registry/registry.h"

using namespace hm;

namespace {
int g_saved_stderr = -1, g_pipe = -1;
bool g_purge_set = false;  // HAKMEM_PURGE_MB was set here, not by the caller

__attribute__((constructor(101))) void environment_for_config_init() {
  g_purge_set = !getenv("HAKMEM_PURGE_MB");
  if (g_purge_set) setenv("HAKMEM_PURGE_MB", "64", 1);  // its default: valid, and changes nothing
  setenv("HAKMEM_TCACHE_MAXX", "64", 1);
  setenv("HAKMEM_NO_SUCH_GATE", "1", 1);
  int fds[2];
  if (pipe2(fds, O_NONBLOCK) != 0) return;
  g_saved_stderr = dup(2);
  dup2(fds[1], 2);
  close(fds[1]);
  g_pipe = fds[0];
}

bool has(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

void check_start_up_once() {
  static bool done = false;
  if (done) return;
  done = true;
  config_init();
  if (g_pipe >= 0) {
    std::string text;
    char buf[4096];
    for (ssize_t r; (r = read(g_pipe, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(r));
    dup2(g_saved_stderr, 2);
    close(g_saved_stderr), close(g_pipe);
    (void)!write(2, text.data(), text.size());
    HM_FUZZ_CHECK(!g_purge_set || config().purge_mb == 64);
    HM_FUZZ_CHECK(has(text, "HAKMEM_TCACHE_MAXX is not a hakmem gate and is ignored (did you mean HAKMEM_TCACHE_MAX?)"));
    HM_FUZZ_CHECK(has(text, "HAKMEM_NO_SUCH_GATE is not a hakmem gate and is ignored\n"));
    HM_FUZZ_CHECK(!has(text, "HAKMEM_PURGE_MB is not"));
  }
  std::string_view json = registry::json(), md = registry::markdown();
  HM_FUZZ_CHECK(json == hm_registry_json());  // the public API's copy
  for (const auto& b : registry::kBoxes) {
    HM_FUZZ_CHECK(has(json, "\"" + std::string(b.name) + "\"") && has(md, b.name));
    HM_FUZZ_CHECK(registry::find_box(b.name) == &b);
  }
  for (const auto& g : registry::kGates) HM_FUZZ_CHECK(has(json, g.env) && has(md, g.env));
  for (const auto& i : registry::kInvariants) {
    HM_FUZZ_CHECK(has(json, i.id) && has(md, i.id));
    HM_FUZZ_CHECK(registry::find_invariant(i.id) == &i);
  }
  for (const auto& e : registry::kErrors) HM_FUZZ_CHECK(has(json, e.text));
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  check_start_up_once();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_start_up_once();
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
    // The registry's lookups find exactly the declared names.
    const registry::Box* box = registry::find_box(name);
    bool is_box = false;
    for (const auto& b : registry::kBoxes) is_box = is_box || b.name == name;
    HM_FUZZ_CHECK(is_box ? box && box->name == name : box == nullptr);
    const registry::Invariant* inv = registry::find_invariant(value);
    bool is_inv = false;
    for (const auto& i : registry::kInvariants) is_inv = is_inv || i.id == value;
    HM_FUZZ_CHECK(is_inv ? inv && inv->id == value : inv == nullptr);
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
