// invariants/: the check hook behind HM_CHECK_HOOK (report/report.h), compiled into every
// package and called only by the debug build. Per boundary crossing: record the event in
// its box's ring, count the never-happen events, then at HAKMEM_CHECK=1 run the O(1)
// checks of the touched object, and at HAKMEM_CHECK=2 also what the operation touched (the
// bin it used, the batch's byte totals, the span's segment, the page it emptied) plus one
// step of the thread's incremental walker (walker.cc): the cost per operation is bounded,
// whatever the size of the heap. Full walks at thread exit, malloc_trim and process exit.
// The first violation becomes the one fail-fast report.
#include "check.h"
#include "page_o1.h"
#include "config/config.h"
#include "large/large.h"
#include "page/page.h"
#include "report/inspect.h"
#include "segment/segment.h"
#include "tcache/inspect.h"

namespace hm::check {
extern std::atomic<int> g_level_override;  // sink.cc: the test seam's level, -1: HAKMEM_CHECK
namespace {

constinit thread_local bool tl_busy HM_TLS = false;

// The calling thread's heap when it owns pg (the only case in which pg may be walked).
const Heap* owner_if_mine(const Page* pg) {
  const Heap* h = tcache_heap();
  return h->real && pg->owner.load(std::memory_order_relaxed) == h ? h : nullptr;
}

// check_bin_bound's test, inline: true when the bin of class cls passes it.
HM_FAST_PATH bool bin_bound_ok(const Heap* h, unsigned cls) {
  const Bin& bin = tcache_of(h)->bins[cls];
  return bin.bound <= kBinBoundMax && bin.room <= bin.bound;
}

// A block handed out or given back through the front: its page, its bin, and at level 2
// the block now at the top of the bin (the list is walked whole at refill and flush, which
// come once per half a bound of operations) and a step of the walker.
void front_block(Sink& s, const Block* b, const Page* pg, int level) {
  const Heap* h = tcache_heap();
  if (HM_UNLIKELY(page_o1_fault(pg, h) != PageFault::ok) && !check_page_o1(s, pg)) return;  // the test inline
  if (!h->real) return;
  if ((HM_UNLIKELY(!bin_bound_ok(h, pg->cls)) && !check_bin_bound(s, h, pg->cls)) || level < 2) return;
  const Bin& bin = slow_bin(tcache_of(h), pg->cls);
  if (bin.head && HM_UNLIKELY(!free_block_ok(pg->cls, bin.head)) &&
      !check_free_block(s, registry::InvId::tcache_list, pg->cls, bin.head))
    return;
  walker_step(s, h);
  (void)b;
}

// front_block at level 1 without a finding: true when every check passes (a malloc's block is
// found by its address, as run does).
HM_FAST_PATH bool front_o1_ok(report::Event ev, const Block* b, const Page* pg) {
  if (ev == report::Event::malloc) {
    uintptr_t u = reinterpret_cast<uintptr_t>(b);
    pg = page_of(u);
    if (!pg || b->cookie != free_cookie(u)) return false;
  }
  const Heap* h = tcache_heap();
  if (HM_UNLIKELY(page_o1_fault(pg, h) != PageFault::ok)) return false;
  return !h->real || bin_bound_ok(h, pg->cls);
}

// tcache_refill / tcache_free_slow: the gates, the class's bin, and at level 2 its list and a
// step of the walker.
void heap_crossing(Sink& s, unsigned cls, int level) {
  check_config(s);
  const Heap* h = tcache_heap();
  if (!h->real || !check_bin_bound(s, h, cls) || level < 2) return;
  if (check_bin_list(s, h, cls)) walker_step(s, h);
}

void page_crossing(Sink& s, const Page* pg, int level) {
  if (!check_page_o1(s, pg) || level < 2) return;
  if (const Heap* own = owner_if_mine(pg)) check_page_walk(s, pg, own);
}

void segment_crossing(Sink& s, const void* meta, int level) {
  const Segment* seg = segment_of(reinterpret_cast<uintptr_t>(meta));
  if (!check_segment(s, seg, 1) || level < 2) return;
  check_one_segment(s, seg, level);
  if (!s.count()) check_pagemap(s);  // the units this crossing may have marked or cleared
}

bool heads_span(const void* meta) {
  const Segment* seg = segment_of(reinterpret_cast<uintptr_t>(meta));
  size_t first = (static_cast<const unsigned char*>(meta) - &seg->meta[0][0]) / kSpanMetaSize;
  return first > 0 && first < kSlicesPerSegment && seg->slice_meta[first] == meta;
}

void run(report::Event ev, const void* obj, uintptr_t arg, Sink& s, int level) {
  using report::Event;
  switch (ev) {
    case Event::malloc: {
      auto* b = static_cast<const Block*>(obj);
      uintptr_t u = reinterpret_cast<uintptr_t>(b);
      if (level < 1) return;
      const Page* pg = page_of(u);
      bool was_free = b->cookie == free_cookie(u);  // the pop checked it; a hook-level double check
      if (!pg) {
        s.fail(registry::InvId::tcache_list, Where{b}, "page of block", 1, 0);
        return;
      }
      if (!was_free) {
        s.fail(registry::InvId::page_cookie, at_page(pg, b), "cookie", free_cookie(u), b->cookie, true);
        return;
      }
      front_block(s, b, pg, level);
      return;
    }
    case Event::free:
      if (level >= 1) front_block(s, static_cast<const Block*>(obj), reinterpret_cast<const Page*>(arg), level);
      return;
    case Event::refill:
    case Event::free_slow:
      if (level >= 1) heap_crossing(s, static_cast<unsigned>(arg), level);
      return;
    case Event::heap_take:  // a waiting heap as a new thread takes it from the pool
      if (level >= 2) check_pooled_heap(s, static_cast<const Heap*>(obj), level);
      return;
    case Event::heap_exit:  // the exiting thread's whole heap, before its bins are flushed
      if (level >= 1) flush_check_count();
      if (level >= 2) walk_heap(s, static_cast<const Heap*>(obj));
      return;
    case Event::trim:  // the caller's heap and every shared box
      if (level >= 2) walk_all_mine(s);
      return;
    case Event::page_new:
      if (level < 1) return;
      check_sizeclass(s);
      page_crossing(s, static_cast<const Page*>(obj), level);
      return;
    case Event::page_delete: {
      auto* pg = static_cast<const Page*>(obj);
      if (pg->used != 0) never_hit(Never::delete_live_page);
      if (level >= 1) page_crossing(s, pg, level);
      return;
    }
    case Event::span_alloc:
      if (level >= 1) segment_crossing(s, obj, level);
      return;
    case Event::span_free:
      if (!heads_span(obj)) never_hit(Never::free_unknown_span);
      if (level >= 1) segment_crossing(s, obj, level);
      return;
    case Event::remote_push: {
      auto* pg = static_cast<const Page*>(obj);
      auto* first = reinterpret_cast<const Block*>(arg);
      uintptr_t u = reinterpret_cast<uintptr_t>(first);
      if (pg->capacity == 0) never_hit(Never::push_dead_page);
      else if (page_of(u) != pg || page_block_index(pg, u) < 0) never_hit(Never::push_foreign_block);
      if (level >= 1) check_page_o1(s, pg);
      return;
    }
    case Event::remote_collect: {
      auto* pg = static_cast<const Page*>(obj);
      Sink head;
      if (!check_remote_head(head, pg)) never_hit(Never::collect_foreign);
      if (level < 1) return;
      if (!check_page_o1(s, pg) || !check_remote_head(s, pg) || level < 2) return;
      if (const Heap* own = owner_if_mine(pg)) check_page_walk(s, pg, own);
      return;
    }
    case Event::transfer_put:
    case Event::transfer_take:
      if (level < 1 || !check_transfer_head(s, static_cast<unsigned>(arg), static_cast<const Block*>(obj)) || level < 2)
        return;
      check_transfer(s, false);  // the chains: the walker, at the end of each round
      return;
    case Event::large_alloc:
    case Event::large_free: {
      auto* h = static_cast<const LargeHeader*>(obj);
      uintptr_t block = reinterpret_cast<uintptr_t>(h) + h->offset;
      if (ev == Event::large_free && h->magic != (kLargeMagic ^ block)) never_hit(Never::large_free_not_live);
      if (level < 1 || !check_large_header(s, h, false) || level < 2) return;
      check_large_cache(s, level);
      if (!s.count()) check_pagemap(s);
      return;
    }
    case Event::count_:
      return;
  }
}

}  // namespace
}  // namespace hm::check

namespace hm::report {

namespace {

// Runs the level's checks (timed when count_check chose this one) and reports the first finding.
HM_SLOW_PATH void run_checks(Event ev, const void* obj, uintptr_t arg, int level, bool timed) {
  using namespace hm::check;
  tl_busy = true;
  Sink s;
  if (timed) {  // one check in kTimedEvery is timed: the clock costs as much as a check
    uint64_t t0 = check_clock_ns();
    run(ev, obj, arg, s, level);
    time_check(check_clock_ns() - t0);
  } else {
    run(ev, obj, arg, s, level);
  }
  tl_busy = false;
  if (HM_UNLIKELY(s.count())) report_violation(s.first().inv, s.first().site);
}

// Records the event, runs the level's checks, reports the first finding.
HM_SLOW_PATH void check_crossing(Event ev, const void* obj, uintptr_t arg, int level) {
  record_event(ev, obj, arg);
  run_checks(ev, obj, arg, level, level >= 1 && hm::check::count_check());
}

// A malloc or free at level 1, read straight through: what front_block checks there (the
// block's cookie and page at a malloc, the page's O(1) checks, the bin's bound), without the
// frames of run and front_block. The timed check and any failure take run_checks, which runs
// the same checks again and names the finding.
HM_SLOW_PATH void check_front_o1(Event ev, const void* obj, uintptr_t arg) {
  using namespace hm::check;
  record_event(ev, obj, arg);
  bool timed = count_check();
  if (HM_LIKELY(!timed && front_o1_ok(ev, static_cast<const Block*>(obj), reinterpret_cast<const Page*>(arg)))) return;
  run_checks(ev, obj, arg, 1, timed);
}

}  // namespace

// Read straight through: at level 0 a malloc or free only records its event (every never-happen
// count is at another box's crossing), with no frame of its own; at level 1 it takes
// check_front_o1.
void check_hook(Event ev, const void* obj, uintptr_t arg) {
  using namespace hm::check;
  if (tl_busy) return;  // a hook inside a hook (none expected: checkers do not allocate)
  int level = g_level_override.load(std::memory_order_relaxed);
  if (level < 0) level = static_cast<int>(config().check);  // hook_level(), inline
  if (ev == Event::malloc || ev == Event::free) {
    if (level < 1) return record_event(ev, obj, arg);
    if (level == 1) return check_front_o1(ev, obj, arg);
  }
  check_crossing(ev, obj, arg, level);
}

namespace {

// Process exit (debug build): at level 2 a full walk of the exiting thread's heap and of every
// shared box; then the summary line for HAKMEM_CHECK_SUMMARY.
__attribute__((destructor)) void check_at_exit() {
  if constexpr (!kCheckHooks) return;
  using namespace hm::check;
  int level = hook_level();
  if (level >= 2 && !tl_busy) {
    tl_busy = true;
    Sink s;
    walk_all_mine(s);
    tl_busy = false;
    if (s.count()) report_violation(s.first().inv, s.first().site);
  }
  if (level >= 1 && config().check_summary[0]) write_check_summary(config().check_summary);
}

}  // namespace

}  // namespace hm::report
