// heap box inspection header: what the checkers (invariants/), the property test, the unit test
// and the fuzz harness read inside the heap box, beyond its boundary. No box includes this.
//
// A page's queue links (Page::heap_queue, heap_next, heap_prev) belong to the heap box: heap.cc
// writes them (page queues and the abandoned lists), and everything else reads them through these.
#pragma once

#include "heap/heap.h"

namespace hm {

// The next page of pg's queue (or abandoned list), the previous one, and which queue holds it.
HM_FAST_PATH const Page* heap_page_next(const Page* pg) { return pg->heap_next; }
HM_FAST_PATH const Page* heap_page_prev(const Page* pg) { return pg->heap_prev; }
HM_FAST_PATH uint8_t heap_page_queue(const Page* pg) { return pg->heap_queue; }

}  // namespace hm
