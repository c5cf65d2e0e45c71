// invariants/: the finding sink, the hook level and the zero-gated counters.
#include <atomic>
#include <cstring>

#include "check.h"
#include "config/config.h"
#include "page/page.h"
#include "segment/segment.h"

namespace hm::check {
namespace {

// "<what> <value>" into buf, value in decimal or hex; never allocates.
void put(char* buf, size_t cap, const char* what, uint64_t v, bool hex) {
  size_t n = 0;
  while (what && *what && n + 1 < cap) buf[n++] = *what++;
  if (n + 1 < cap) buf[n++] = ' ';
  char tmp[24];
  int k = 0;
  if (hex) {
    do {
      tmp[k++] = "0123456789abcdef"[v & 15];
      v >>= 4;
    } while (v);
    tmp[k++] = 'x';
    tmp[k++] = '0';
  } else {
    do {
      tmp[k++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v);
  }
  while (k && n + 1 < cap) buf[n++] = tmp[--k];
  buf[n] = '\0';
}

void copy(char* buf, size_t cap, const char* t) {
  size_t n = 0;
  while (t && *t && n + 1 < cap) buf[n++] = *t++;
  buf[n] = '\0';
}

constinit std::atomic<uint64_t> g_never[static_cast<int>(Never::count_)];

}  // namespace

constinit std::atomic<int> g_level_override{-1};  // read inline by the check hook (hooks.cc)

Where at_page(const Page* pg, const void* addr) {
  Where w;
  w.addr = addr ? addr : pg;
  w.page = pg;
  w.segment = segment_of(reinterpret_cast<uintptr_t>(pg));
  if (pg && pg->cls < kClassCount) w.size_class = pg->cls;
  return w;
}

bool Sink::fail(registry::InvId inv, const Where& w, const char* what, uint64_t expected, uint64_t found,
                bool hex) {
  if (!only_.empty() && registry::invariant(inv).box != only_) return false;
  if (count_++ == 0) {
    first_.inv = inv;
    put(first_.expected, sizeof first_.expected, what, expected, hex);
    put(first_.found, sizeof first_.found, what, found, hex);
    first_.site = {w.addr, w.size_class, w.page, w.segment, first_.expected, first_.found};
  }
  return false;
}

bool Sink::fail2(registry::InvId inv, const Where& w, const char* expected_what, uint64_t expected,
                 const char* found_what, uint64_t found) {
  if (!only_.empty() && registry::invariant(inv).box != only_) return false;
  if (count_++ == 0) {
    first_.inv = inv;
    put(first_.expected, sizeof first_.expected, expected_what, expected, false);
    put(first_.found, sizeof first_.found, found_what, found, false);
    first_.site = {w.addr, w.size_class, w.page, w.segment, first_.expected, first_.found};
  }
  return false;
}

bool Sink::fail_text(registry::InvId inv, const Where& w, const char* expected, const char* found) {
  if (!only_.empty() && registry::invariant(inv).box != only_) return false;
  if (count_++ == 0) {
    first_.inv = inv;
    copy(first_.expected, sizeof first_.expected, expected);
    copy(first_.found, sizeof first_.found, found);
    first_.site = {w.addr, w.size_class, w.page, w.segment, first_.expected, first_.found};
  }
  return false;
}

bool Sink::fail_found(registry::InvId inv, const Where& w, const char* expected, const char* what, uint64_t found) {
  if (!only_.empty() && registry::invariant(inv).box != only_) return false;
  if (count_++ == 0) {
    first_.inv = inv;
    copy(first_.expected, sizeof first_.expected, expected);
    put(first_.found, sizeof first_.found, what, found, false);
    first_.site = {w.addr, w.size_class, w.page, w.segment, first_.expected, first_.found};
  }
  return false;
}

int hook_level() {
  int o = g_level_override.load(std::memory_order_relaxed);
  return o >= 0 ? o : static_cast<int>(config().check);
}

void set_level(int level) { g_level_override.store(level, std::memory_order_relaxed); }

void never_hit(Never n) { g_never[static_cast<int>(n)].fetch_add(1, std::memory_order_relaxed); }
uint64_t never_value(Never n) { return g_never[static_cast<int>(n)].load(std::memory_order_relaxed); }
void never_reset() {
  for (auto& c : g_never) c.store(0, std::memory_order_relaxed);
}

}  // namespace hm::check
