// report box inspection header: what the check hooks (invariants/hooks.cc), tests and fuzz harnesses
// see beyond report.h -- the rings of recent events and the seam that turns a report's abort into a
// call back.
#pragma once

#include "base.h"
#include "report/report.h"

namespace hm::report {

// Test seam (fuzz/report_fuzz.cc): while fn is set, a report calls fn -- which must not return
// (the harness longjmps out) -- where it would raise SIGABRT; nullptr restores the abort. Each
// call also ends the report in progress, so the next one is written rather than refused.
void report_set_exit_for_test(void (*fn)());

// The last events of a box, oldest first, for reports and tests; returns how many. For the front,
// the calling thread's.
struct EventRecord {
  uint64_t seq;  // 1-based position in the box's (front: the thread's) event stream; 0: empty slot
  Event ev;
  uint32_t tid;
  const void* obj;
  uintptr_t arg;
};
inline constexpr unsigned kEventRing = 16;
unsigned recent_events(registry::BoxId box, EventRecord* out, unsigned max);

namespace report_detail {
// The calling thread's ring of the front's events (every malloc and free): plain stores, written
// inline by the check hook. The reader is recent_events (report.cc), on the same thread.
struct ThreadRing {
  uint64_t next;  // events recorded so far; the last one is in slot[next % kEventRing]
  uint32_t tid;   // the thread's id, read once (0: not yet)
  struct Slot {
    const void* obj;
    uintptr_t arg;
    Event ev;
  } slot[kEventRing];
};
extern constinit thread_local ThreadRing tl_ring HM_TLS;
// Whether an event is the front's (the thread's ring) rather than another box's (the box's ring).
inline constexpr bool kFrontEvent[] = {
#define HM_EVENT(ev, box, text) registry::BoxId::box == registry::BoxId::front,
#include "registry/events.def"
#undef HM_EVENT
};
// Appends a crossing of a box other than the front to its box's ring (one atomic increment).
void record_shared(Event ev, const void* obj, uintptr_t arg);
}  // namespace report_detail

// Appends an event to its ring of recent events (bounded, overwrites): the front's events to the
// calling thread's ring (plain stores, inline), the other boxes' to their box's ring (lock-free,
// one atomic increment).
HM_FAST_PATH void record_event(Event ev, const void* obj, uintptr_t arg) {
  if (HM_UNLIKELY(!report_detail::kFrontEvent[static_cast<int>(ev)]))
    return report_detail::record_shared(ev, obj, arg);
  report_detail::ThreadRing& t = report_detail::tl_ring;
  uint64_t seq = ++t.next;
  auto& e = t.slot[seq % kEventRing];
  e.obj = obj;
  e.arg = arg;
  e.ev = ev;
}

}  // namespace hm::report
