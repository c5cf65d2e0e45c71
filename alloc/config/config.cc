// config box: parses the environment without allocating (it runs inside the first malloc).
#include "config/config.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "registry/registry.h"
#include "report/report.h"

extern char** environ;

namespace hm {
namespace config_detail {
constinit Config g_config;
}

namespace {

constexpr char kPrefix[] = "HAKMEM_";
constexpr size_t kPrefixLen = sizeof kPrefix - 1;

bool parse_long(const char* v, long* out) {
  if (!*v) return false;
  bool neg = false;
  if (*v == '-') {
    neg = true;
    ++v;
  }
  long r = 0;
  for (; *v; ++v) {
    if (*v < '0' || *v > '9') return false;
    if (r > 1000000000L) return false;
    r = r * 10 + (*v - '0');
  }
  *out = neg ? -r : r;
  return true;
}

bool name_is(const char* name, size_t n, std::string_view env) {
  return env.size() == n && std::memcmp(name, env.data(), n) == 0;
}

// Edit distance between two short names, capped; used for "did you mean".
int distance(const char* a, size_t n, std::string_view b) {
  if (n > 40 || b.size() > 40) return 99;
  int prev[41], cur[41];
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
      int del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
    std::memcpy(prev, cur, sizeof(int) * (b.size() + 1));
  }
  return prev[b.size()];
}

bool assign(Config& cfg, const char* name, size_t n, const char* value, const char** why) {
#define HM_GATE(field, env, box, def, mn, mx, desc)                  \
  if (name_is(name, n, env)) {                                       \
    long v;                                                          \
    if (!parse_long(value, &v) || v < (mn) || v > (mx)) {            \
      *why = "value is not an integer in [" #mn ", " #mx "]";        \
      return false;                                                  \
    }                                                                \
    cfg.field = v;                                                   \
    return true;                                                     \
  }
#define HM_GATE_STR(field, env, box, desc)                           \
  if (name_is(name, n, env)) {                                       \
    size_t len = std::strlen(value);                                 \
    if (len >= sizeof cfg.field) {                                   \
      *why = "value is longer than 255 characters";                  \
      return false;                                                  \
    }                                                                \
    std::memcpy(cfg.field, value, len + 1);                          \
    return true;                                                     \
  }
#include "registry/gates.def"
#undef HM_GATE
#undef HM_GATE_STR
  *why = nullptr;  // unknown name
  return false;
}

void warn_unknown(const char* name, size_t n) {
  char line[256];
  size_t len = 0;
  auto put = [&](const char* s, size_t k) {
    for (size_t i = 0; i < k && len + 1 < sizeof line; ++i) line[len++] = s[i];
  };
  put("hakmem: warning: ", 17);
  put(name, n);
  put(" is not a hakmem gate and is ignored", 36);
  const registry::Gate* best = nullptr;
  int best_d = 3;
  for (const auto& g : registry::kGates) {
    int d = distance(name, n, g.env);
    if (d < best_d) best_d = d, best = &g;
  }
  if (best) {
    put(" (did you mean ", 15);
    put(best->env.data(), best->env.size());
    put("?)", 2);
  }
  line[len++] = '\n';
  (void)!::write(2, line, len);
}

void apply(Config& cfg, const char* entry) {
  if (std::strncmp(entry, kPrefix, kPrefixLen) != 0) return;
  const char* eq = std::strchr(entry, '=');
  if (!eq) return;
  size_t n = static_cast<size_t>(eq - entry);
  const char* why = nullptr;
  if (assign(cfg, entry, n, eq + 1, &why)) return;
  if (!why) {
    warn_unknown(entry, n);
    return;
  }
  char what[128];
  size_t k = n < sizeof what - 1 ? n : sizeof what - 1;
  std::memcpy(what, entry, k);
  what[k] = '\0';
  report::report_fatal(what, why);
}

// Before libc has set environ (a malloc from the dynamic loader), read /proc instead.
void apply_proc_environ(Config& cfg) {
  static char buf[32768];
  int fd = ::open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t total = 0, r;
  while (total < static_cast<ssize_t>(sizeof buf) - 1 &&
         (r = ::read(fd, buf + total, sizeof buf - 1 - static_cast<size_t>(total))) > 0)
    total += r;
  ::close(fd);
  buf[total] = '\0';
  for (ssize_t i = 0; i < total;) {
    apply(cfg, buf + i);
    i += static_cast<ssize_t>(std::strlen(buf + i)) + 1;
  }
}

}  // namespace

bool gate_value(Config& cfg, const char* name, const char* value, const char** why) {
  const char* w = nullptr;
  bool ok = assign(cfg, name, std::strlen(name), value, &w);
  if (why) *why = ok ? nullptr : (w ? w : "not a hakmem gate");
  return ok;
}

void config_init() {
  static bool done = false;
  if (done) return;
  done = true;
  Config cfg;
  if (environ) {
    for (char** e = environ; *e; ++e) apply(cfg, *e);
  } else {
    apply_proc_environ(cfg);
  }
  config_detail::g_config = cfg;
  report::set_json_path(config_detail::g_config.report_path);
}

}  // namespace hm
