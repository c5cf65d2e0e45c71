// report box inspection header: what the check hooks (invariants/hooks.cc), tests and fuzz harnesses
// see beyond report.h -- the rings of recent events and the seam that turns a report's abort into a
// call back.
#pragma once

#include "report/report.h"

namespace hm::report {

// Test seam (fuzz/report_fuzz.cc): while fn is set, a report calls fn -- which must not return
// (the harness longjmps out) -- where it would raise SIGABRT; nullptr restores the abort. Each
// call also ends the report in progress, so the next one is written rather than refused.
void report_set_exit_for_test(void (*fn)());

// Appends an event to its ring of recent events (bounded, overwrites): the front's events to the
// calling thread's ring (plain stores), the other boxes' to their box's ring (lock-free, one
// atomic increment).
void record_event(Event ev, const void* obj, uintptr_t arg);

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

}  // namespace hm::report
