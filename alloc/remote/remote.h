// remote box boundary: frees of a page's blocks by threads that do not own the page.
// Producers push chains with one CAS; the owner takes the whole queue with one exchange.
// The box keeps no counters of its own (shared counters would be written by every thread on
// every push): its callers count pushes and collects in their per-thread counters.
#pragma once

#include "page/page.h"

namespace hm {

// Pushes the chain first..last (n blocks) (linked through next) onto pg's remote queue. Any thread.
void remote_push(Page* pg, Block* first, Block* last, unsigned n);

// Owner only: moves the remote queue onto the page's free list; returns how many blocks.
unsigned remote_collect(Page* pg);

// Blocks waiting in pg's remote queue (a racy snapshot; exact when no thread is pushing).
unsigned remote_pending(const Page* pg);

}  // namespace hm
