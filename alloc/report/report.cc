// report box: fixed-format lines built in static buffers and written with write(2).
// The backtrace comes from the unwinder (_Unwind_Backtrace) and dladdr, neither of which
// allocates; the event rings are fixed arrays: the front's one per thread, the other boxes' one
// per box, written with one atomic increment.
#include "report/report.h"
#include "report/inspect.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <unwind.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "base.h"

namespace hm::report {

registry::BoxId event_box(Event ev);
const char* event_name(Event ev);

namespace {

constinit std::atomic<int> g_reporting{0};
constinit const char* g_json_path = "";

// ---- event rings ----

// The front's events (every malloc and free of the program) go to a ring of the calling thread:
// plain stores, no atomic read-modify-write on a line every thread shares. A report comes from
// the thread whose operation found the fault, and reads that thread's ring. The other boxes'
// crossings (a refill, a flush, a page, a span, a batch: one per many front operations) go to
// one ring per box shared by all threads, ordered by one atomic increment.
struct Ring {
  std::atomic<uint64_t> next{0};
  EventRecord slot[kEventRing]{};
};
constinit Ring g_rings[static_cast<int>(registry::BoxId::count_)];
using report_detail::tl_ring;

uint32_t thread_id() {
  if (HM_UNLIKELY(!tl_ring.tid)) tl_ring.tid = static_cast<uint32_t>(syscall(SYS_gettid));
  return tl_ring.tid;
}

constexpr registry::BoxId kEventBox[] = {
#define HM_EVENT(ev, box, text) registry::BoxId::box,
#include "registry/events.def"
#undef HM_EVENT
};
constexpr const char* kEventName[] = {
#define HM_EVENT(ev, box, text) #ev,
#include "registry/events.def"
#undef HM_EVENT
};

// ---- text ----

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
  // Text from a checker or the environment: control characters become spaces so that every
  // report line stays one line.
  Line& text(const char* t) {
    while (t && *t && len + 1 < cap) {
      char c = *t++;
      buf[len++] = static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    }
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
  // A JSON string value; control characters become spaces.
  Line& q(const char* t) {
    s("\"");
    while (t && *t && len + 2 < cap) {
      char c = *t++;
      if (c == '"' || c == '\\') buf[len++] = '\\';
      buf[len++] = static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
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

// One report is written at a time (g_reporting), so its buffers can be static.
constinit char g_human[16384];
constinit char g_json[16384];

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

void (*g_exit_for_test)() = nullptr;

[[noreturn]] void die() {
  if (g_exit_for_test) g_exit_for_test();
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

// ---- backtrace ----

constexpr int kMaxFrames = 32;
struct Frames {
  uintptr_t pc[kMaxFrames];
  int n = 0;
};

_Unwind_Reason_Code collect_frame(struct _Unwind_Context* ctx, void* arg) {
  auto* f = static_cast<Frames*>(arg);
  if (f->n >= kMaxFrames) return _URC_END_OF_STACK;
  uintptr_t pc = _Unwind_GetIP(ctx);
  if (!pc) return _URC_END_OF_STACK;
  f->pc[f->n++] = pc;
  return _URC_NO_REASON;
}

// "symbol+0xoff (object)" or "0xpc (object)" for one frame.
void frame_text(Line& l, uintptr_t pc) {
  Dl_info info{};
  // pc is a return address; look up pc-1 so that a call at a function's end resolves to it.
  if (dladdr(reinterpret_cast<void*>(pc - 1), &info) && info.dli_fname) {
    if (info.dli_sname) {
      l.s(info.dli_sname).s("+").hex(pc - reinterpret_cast<uintptr_t>(info.dli_saddr));
    } else {
      l.hex(pc - reinterpret_cast<uintptr_t>(info.dli_fbase));
    }
    l.s(" (").s(info.dli_fname).s(")");
  } else {
    l.hex(pc);
  }
}

void add_backtrace(Line& h, Line& j) {
  Frames f;
  _Unwind_Backtrace(collect_frame, &f);
  // Frames 0..2 are this function, its caller in this file and the report entry point.
  int first = f.n > 3 ? 3 : 0;
  h.s("  backtrace:\n");
  j.s(",\"backtrace\":[");
  char fb[512];
  for (int i = first; i < f.n; ++i) {
    Line one{fb, sizeof fb};
    frame_text(one, f.pc[i]);
    h.s("    #").dec(i - first).s(" ").hex(f.pc[i]).s(" ").s(fb).s("\n");
    if (i > first) j.s(",");
    j.q(static_cast<const char*>(fb));
  }
  j.s("]");
}

// ---- the parts shared by both kinds of report ----

void add_site(Line& h, Line& j, const Site& site) {
  j.s(",\"addr\":\"").hex(reinterpret_cast<uintptr_t>(site.addr)).s("\"");
  if (site.size_class >= 0) j.s(",\"size_class\":").dec(site.size_class);
  if (site.page) j.s(",\"page\":\"").hex(reinterpret_cast<uintptr_t>(site.page)).s("\"");
  if (site.segment) j.s(",\"segment\":\"").hex(reinterpret_cast<uintptr_t>(site.segment)).s("\"");
  if (site.expected) j.s(",\"expected\":").q(site.expected);
  if (site.found) j.s(",\"found\":").q(site.found);
  j.s(",\"thread\":").dec(static_cast<long>(syscall(SYS_gettid)));

  h.s("  object: ").hex(reinterpret_cast<uintptr_t>(site.addr));
  if (site.size_class >= 0) h.s(" size class ").dec(site.size_class);
  if (site.page) h.s(" page ").hex(reinterpret_cast<uintptr_t>(site.page));
  if (site.segment) h.s(" segment ").hex(reinterpret_cast<uintptr_t>(site.segment));
  h.s("\n");
  if (site.expected || site.found) {
    h.s("  expected: ").text(site.expected ? site.expected : "?").s("\n");
    h.s("  found:    ").text(site.found ? site.found : "?").s("\n");
  }
  h.s("  thread: ").dec(static_cast<long>(syscall(SYS_gettid))).s("\n");
}

// The last events of the report's box and, when that is another box, of the front (the
// reporting thread's own malloc and free calls). JSON: "events":[{"box":...,"seq":...,...}].
void add_events(Line& h, Line& j, registry::BoxId box) {
  j.s(",\"events\":[");
  bool comma = false;
  registry::BoxId boxes[2] = {box, registry::BoxId::front};
  int nboxes = box == registry::BoxId::front ? 1 : 2;
  for (int k = 0; k < nboxes; ++k) {
    registry::BoxId b = boxes[k];
    EventRecord ev[kEventRing];
    unsigned n = recent_events(b, ev, kEventRing);
    h.s("  last events of box ").s(registry::box(b).name).s(b == registry::BoxId::front ? " (this thread):" : ":");
    if (!n) h.s(kCheckHooks ? " none" : " none (recorded in the debug build only)");
    h.s("\n");
    for (unsigned i = 0; i < n; ++i) {
      h.s("    #").dec(static_cast<long>(ev[i].seq)).s(" ").s(event_name(ev[i].ev));
      h.s(" ").hex(reinterpret_cast<uintptr_t>(ev[i].obj)).s(" arg ").hex(ev[i].arg);
      h.s(" thread ").dec(ev[i].tid).s("\n");
      if (comma) j.s(",");
      comma = true;
      j.s("{\"box\":").q(registry::box(b).name).s(",\"seq\":").dec(static_cast<long>(ev[i].seq));
      j.s(",\"event\":").q(event_name(ev[i].ev));
      j.s(",\"obj\":\"").hex(reinterpret_cast<uintptr_t>(ev[i].obj)).s("\",\"arg\":\"").hex(ev[i].arg);
      j.s("\",\"thread\":").dec(ev[i].tid).s("}");
    }
  }
  j.s("]");
}

}  // namespace

registry::BoxId event_box(Event ev) { return kEventBox[static_cast<int>(ev)]; }
const char* event_name(Event ev) { return kEventName[static_cast<int>(ev)]; }

namespace report_detail {
constinit thread_local ThreadRing tl_ring HM_TLS = {};

HM_SLOW_PATH void record_shared(Event ev, const void* obj, uintptr_t arg) {
  Ring& r = g_rings[static_cast<int>(event_box(ev))];
  uint64_t seq = r.next.fetch_add(1, std::memory_order_relaxed) + 1;
  EventRecord& e = r.slot[seq % kEventRing];
  e.seq = 0;  // a reader skips the slot while it is being written
  e.ev = ev;
  e.tid = thread_id();
  e.obj = obj;
  e.arg = arg;
  __atomic_store_n(&e.seq, seq, __ATOMIC_RELEASE);
}
}  // namespace report_detail

unsigned recent_events(registry::BoxId box, EventRecord* out, unsigned max) {
  unsigned n = 0;
  if (box == registry::BoxId::front) {  // the calling thread's
    const report_detail::ThreadRing& t = tl_ring;
    uint64_t from = t.next > kEventRing ? t.next - kEventRing + 1 : 1;
    for (uint64_t s = from; s <= t.next && n < max; ++s) {  // every one of them written
      const auto& e = t.slot[s % kEventRing];
      out[n++] = {s, e.ev, thread_id(), e.obj, e.arg};
    }
    return n;
  }
  Ring& r = g_rings[static_cast<int>(box)];
  uint64_t last = r.next.load(std::memory_order_acquire);
  uint64_t from = last > kEventRing ? last - kEventRing + 1 : 1;
  for (uint64_t s = from; s <= last && n < max; ++s) {
    const EventRecord& e = r.slot[s % kEventRing];
    if (__atomic_load_n(&e.seq, __ATOMIC_ACQUIRE) != s) continue;  // overwritten or in flight
    out[n++] = e;
  }
  return n;
}

void report_misuse(registry::ErrorId kind, const Site& site) {
  enter();
  const auto& e = registry::error(kind);
  Line h{g_human, sizeof g_human}, j{g_json, sizeof g_json};
  h.s("hakmem: ").s(e.text).s(" of ").hex(reinterpret_cast<uintptr_t>(site.addr));
  h.s(" (box ").s(e.box).s(", ").s(e.invariant).s(")\n");
  j.s("{\"hakmem_report\":1,\"type\":\"misuse\",\"kind\":").q(e.text).s(",\"box\":").q(e.box);
  j.s(",\"invariant\":").q(e.invariant);
  if (const auto* inv = registry::find_invariant(e.invariant)) j.s(",\"text\":").q(inv->text);
  add_site(h, j, site);
  const auto* box = registry::find_box(e.box);
  add_events(h, j, box ? static_cast<registry::BoxId>(box - registry::kBoxes) : registry::BoxId::front);
  add_backtrace(h, j);
  j.s("}\n");
  emit(h, j);
  die();
}

void report_violation(registry::InvId id, const Site& site) {
  enter();
  const auto& inv = registry::invariant(id);
  Line h{g_human, sizeof g_human}, j{g_json, sizeof g_json};
  h.s("hakmem: invariant ").s(inv.id).s(" broken in box ").s(inv.box).s(": ").s(inv.text);
  h.s(" at ").hex(reinterpret_cast<uintptr_t>(site.addr));
  if (site.expected) h.s(" (expected ").text(site.expected).s(", found ").text(site.found ? site.found : "?").s(")");
  h.s("\n");
  j.s("{\"hakmem_report\":1,\"type\":\"invariant\",\"box\":").q(inv.box).s(",\"invariant\":").q(inv.id);
  j.s(",\"text\":").q(inv.text);
  add_site(h, j, site);
  const auto* box = registry::find_box(inv.box);
  add_events(h, j, box ? static_cast<registry::BoxId>(box - registry::kBoxes) : registry::BoxId::front);
  add_backtrace(h, j);
  j.s("}\n");
  emit(h, j);
  die();
}

void report_fatal(const char* what, const char* detail) {
  enter();
  Line h{g_human, sizeof g_human};
  h.s("hakmem: ").text(what).s(detail ? ": " : "").text(detail).s("\n");
  write_all(2, h.buf, h.len);
  die();
}

void report_set_exit_for_test(void (*fn)()) {
  g_exit_for_test = fn;
  g_reporting.store(0);
}

void set_json_path(const char* path) { g_json_path = path ? path : ""; }

void log_once(bool* flag, const char* line) {
  if (__atomic_exchange_n(flag, true, __ATOMIC_RELAXED)) return;
  write_all(2, line, std::strlen(line));
}

}  // namespace hm::report
