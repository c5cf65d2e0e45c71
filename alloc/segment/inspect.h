// segment box inspection header: what its checker (invariants/segment_check.cc), the page checker,
// tests and fuzz harness see beyond segment.h -- the span a metadata record belongs to, and a walk
// of the live segments.
#pragma once

#include "segment/segment.h"

namespace hm {

// Start address and slice count of the span that owns `meta`.
uint8_t* span_start(const void* meta);
unsigned span_slices(const void* meta);

// Calls fn(segment) for every live small segment, under the segment lock.
void segment_for_each(void (*fn)(Segment*, void*), void* arg);

}  // namespace hm
