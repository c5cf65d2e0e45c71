// invariants/: the public entry (include/hakmem/check.h). Chooses the checkers a box needs,
// filters their findings by box, and copies the first into the caller's result.
#include "hakmem/check.h"

#include <cstring>

#include "check.h"
#include "front/inspect.h"
#include "large/large.h"
#include "page/page.h"
#include "tcache/tcache.h"

namespace hm::check {
namespace {

enum Scope : unsigned {
  kConfig = 1,
  kSizeclass = 2,
  kSegments = 4,
  kHeap = 8,
  kLarge = 16,
  kTransfer = 32,
  kFront = 64,
  kPagemap = 128,
  kAll = 255,
};

unsigned scope_of(std::string_view box) {
  if (box == "config") return kConfig;
  if (box == "sizeclass") return kSizeclass;
  if (box == "pagemap") return kPagemap;
  if (box == "segment") return kSegments | kHeap;  // INV-SEGMENT-4 is checked with the pages
  if (box == "page" || box == "remote" || box == "heap" || box == "tcache") return kHeap;
  if (box == "large") return kLarge;
  if (box == "transfer") return kTransfer;
  if (box == "front") return kFront;
  return 0;
}

void run(Sink& s, unsigned scope, int level) {
  if (level <= 0) return;
  if (scope & kConfig) check_config(s);
  if (scope & kSizeclass) check_sizeclass(s);
  if (scope & kSegments) check_segments(s, level);
  if ((scope & kPagemap) && level >= 2) check_pagemap(s);
  if (scope & kHeap) check_heap(s, tcache_heap(), level, -1, -1), check_pool(s, level);
  if (scope & kLarge) check_large_cache(s, level);
  if ((scope & kTransfer) && level >= 2) check_transfer(s);
  if (scope & kFront) check_front(s, level);
}

int finish(const Sink& s, hm_check_result* out) {
  if (out && s.count()) {
    const Finding& f = s.first();
    const auto& inv = registry::invariant(f.inv);
    out->box = inv.box.data();
    out->id = inv.id.data();
    out->text = inv.text.data();
    out->addr = f.site.addr;
    out->size_class = f.site.size_class;
    out->page = f.site.page;
    out->segment = f.site.segment;
    std::memcpy(out->expected, f.expected, sizeof out->expected);
    std::memcpy(out->found, f.found, sizeof out->found);
  }
  return s.count();
}

struct NeverInfo {
  const char* box;
  const char* name;
  const char* text;
};
constexpr NeverInfo kNever[] = {
#define HM_NEVER(tok, box, text) {box, #tok, text},
#include "never.def"
#undef HM_NEVER
};

}  // namespace
}  // namespace hm::check

using namespace hm;
using namespace hm::check;

extern "C" {

int hm_check_all(int level, hm_check_result* out) {
  Sink s;
  run(s, kAll, level);
  return finish(s, out);
}

int hm_check_box(const char* box, int level, hm_check_result* out) {
  if (!box || !registry::find_box(box)) return -1;
  Sink s(box);
  run(s, scope_of(box), level);
  return finish(s, out);
}

int hm_check_block(const void* p, hm_check_result* out) {
  uintptr_t u = reinterpret_cast<uintptr_t>(p);
  Sink s;
  if (const Page* pg = page_of(u)) {
    const Block* blk = page_block_index(pg, u) < 0 ? redzone_block(p, pg) : nullptr;  // reads p - 16
    if (blk) {
      if (is_free_cookie(blk->cookie, reinterpret_cast<uintptr_t>(blk))) return -1;
      check_page_o1(s, pg) && check_redzone(s, blk, p);
      return finish(s, out);
    }
    if (page_block_index(pg, u) < 0 || is_free_cookie(static_cast<const Block*>(p)->cookie, u)) return -1;
    check_page_o1(s, pg);
    return finish(s, out);
  }
  LargeHeader* h = nullptr;
  LargeLookup k = large_lookup(u, &h);
  if (k != LargeLookup::kOk && k != LargeLookup::kUnderflow) return -1;
  check_large_header(s, h, false);
  return finish(s, out);
}

int hm_check_fail_fast(int level) {
  Sink s;
  run(s, kAll, level);
  if (s.count()) report::report_violation(s.first().inv, s.first().site);
  return 0;
}

int hm_check_counters(hm_check_counter* out, int max) {
  int n = static_cast<int>(Never::count_);
  for (int i = 0; out && i < n && i < max; ++i)
    out[i] = {kNever[i].box, kNever[i].name, kNever[i].text,
              static_cast<unsigned long long>(never_value(static_cast<Never>(i)))};
  return n;
}

unsigned long long hm_check_never_total(void) {
  unsigned long long t = 0;
  for (int i = 0; i < static_cast<int>(Never::count_); ++i) t += never_value(static_cast<Never>(i));
  return t;
}

int hm_check_hooks_compiled(void) { return report::kCheckHooks ? 1 : 0; }

}  // extern "C"

// The marker `hakmem run` looks for to tell a debug library from a release one.
#if defined(HAKMEM_DEBUG) && HAKMEM_DEBUG
extern "C" __attribute__((used, visibility("hidden"))) const char hm_check_build_marker[] = "hakmem-check-hooks=1";
#endif
