// report box: fixed-format lines built in stack buffers and written with write(2).
#include "report/report.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>


namespace hm::report {
namespace {

std::atomic<int> g_reporting{0};
const char* g_json_path = "";

// A bounded string builder over a caller's buffer; never allocates.
struct Line {
  char* buf;
  size_t cap;
  size_t len = 0;
  Line& s(const char* t) {
    while (t && *t && len + 1 < cap) buf[len++] = *t++;
    buf[len] = '\0';
    return *this;
  }
  Line& s(std::string_view t) {
    for (char c : t) {
      if (len + 1 >= cap) break;
      buf[len++] = c;
    }
    buf[len] = '\0';
    return *this;
  }
  Line& hex(uintptr_t v) {
    char tmp[19];
    int n = 0;
    do {
      tmp[n++] = "0123456789abcdef"[v & 15];
      v >>= 4;
    } while (v);
    s("0x");
    while (n && len + 1 < cap) buf[len++] = tmp[--n];
    buf[len] = '\0';
    return *this;
  }
  Line& dec(long v) {
    char tmp[24];
    int n = 0;
    bool neg = v < 0;
    unsigned long u = neg ? 0UL - static_cast<unsigned long>(v) : static_cast<unsigned long>(v);
    do {
      tmp[n++] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u);
    if (neg) tmp[n++] = '-';
    while (n && len + 1 < cap) buf[len++] = tmp[--n];
    buf[len] = '\0';
    return *this;
  }
  // A JSON string value; report texts are ASCII without quotes, escape anyway.
  Line& q(const char* t) {
    s("\"");
    while (t && *t && len + 2 < cap) {
      if (*t == '"' || *t == '\\') buf[len++] = '\\';
      buf[len++] = *t++;
    }
    buf[len] = '\0';
    return s("\"");
  }
  Line& q(std::string_view t) {
    char tmp[256];
    size_t n = t.size() < sizeof tmp - 1 ? t.size() : sizeof tmp - 1;
    std::memcpy(tmp, t.data(), n);
    tmp[n] = '\0';
    return q(static_cast<const char*>(tmp));
  }
};

void write_all(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = ::write(fd, p, n);
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void emit(const Line& human, const Line& json) {
  write_all(2, human.buf, human.len);
  const char* path = g_json_path;
  int fd = 2;
  if (path[0]) {
    int f = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (f >= 0) fd = f;
  }
  write_all(fd, json.buf, json.len);
  if (fd != 2) ::close(fd);
}

[[noreturn]] void die() {
  // abort() may run handlers that allocate; raise SIGABRT with default action first.
  signal(SIGABRT, SIG_DFL);
  raise(SIGABRT);
  _exit(134);
}

void enter() {
  if (g_reporting.exchange(1)) {
    write_all(2, "hakmem: report while reporting, aborting\n", 41);
    die();
  }
}

void site_json(Line& j, const Site& site) {
  j.s(",\"addr\":\"").hex(reinterpret_cast<uintptr_t>(site.addr)).s("\"");
  if (site.size_class >= 0) j.s(",\"size_class\":").dec(site.size_class);
  if (site.page) j.s(",\"page\":\"").hex(reinterpret_cast<uintptr_t>(site.page)).s("\"");
  if (site.segment) j.s(",\"segment\":\"").hex(reinterpret_cast<uintptr_t>(site.segment)).s("\"");
  if (site.expected) j.s(",\"expected\":").q(site.expected);
  if (site.found) j.s(",\"found\":").q(site.found);
  j.s(",\"thread\":").dec(static_cast<long>(syscall(SYS_gettid))).s("}\n");
}

}  // namespace

void report_misuse(registry::ErrorId kind, const Site& site) {
  enter();
  const auto& e = registry::error(kind);
  char hb[512], jb[2048];
  Line h{hb, sizeof hb}, j{jb, sizeof jb};
  h.s("hakmem: ").s(e.text).s(" ").hex(reinterpret_cast<uintptr_t>(site.addr));
  h.s(" (box ").s(e.box).s(", ").s(e.invariant).s(")\n");
  j.s("{\"hakmem_report\":1,\"type\":\"misuse\",\"kind\":").q(e.text).s(",\"box\":").q(e.box);
  j.s(",\"invariant\":").q(e.invariant);
  if (const auto* inv = registry::find_invariant(e.invariant)) j.s(",\"text\":").q(inv->text);
  site_json(j, site);
  emit(h, j);
  die();
}

void report_violation(registry::InvId id, const Site& site) {
  enter();
  const auto& inv = registry::invariant(id);
  char hb[512], jb[2048];
  Line h{hb, sizeof hb}, j{jb, sizeof jb};
  h.s("hakmem: invariant ").s(inv.id).s(" broken in box ").s(inv.box).s(": ").s(inv.text);
  h.s(" at ").hex(reinterpret_cast<uintptr_t>(site.addr));
  if (site.expected) h.s(" (expected ").s(site.expected).s(", found ").s(site.found ? site.found : "?").s(")");
  h.s("\n");
  j.s("{\"hakmem_report\":1,\"type\":\"invariant\",\"box\":").q(inv.box).s(",\"invariant\":").q(inv.id);
  j.s(",\"text\":").q(inv.text);
  site_json(j, site);
  emit(h, j);
  die();
}

void report_fatal(const char* what, const char* detail) {
  enter();
  char hb[512];
  Line h{hb, sizeof hb};
  h.s("hakmem: ").s(what).s(detail ? ": " : "").s(detail).s("\n");
  write_all(2, h.buf, h.len);
  die();
}

void set_json_path(const char* path) { g_json_path = path ? path : ""; }

void log_once(bool* flag, const char* line) {
  if (__atomic_exchange_n(flag, true, __ATOMIC_RELAXED)) return;
  write_all(2, line, std::strlen(line));
}

}  // namespace hm::report
