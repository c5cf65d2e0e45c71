// remote box boundary: frees of a page's blocks by threads that do not own the page.
// Producers push chains with one CAS; the owner takes the whole queue with one exchange.
// The box keeps no counters of its own (shared counters would be written by every thread on
// every push): its callers count pushes and collects in their per-thread counters.
#pragma once

#include "page/page.h"

namespace hm {

// Pushes the chain first..last (n blocks) (linked through next, each with its page cookie)
// onto pg's remote queue. Any thread. (The queue word's layout: remote/inspect.h.)
void remote_push(Page* pg, Block* first, Block* last, unsigned n);

// Owner only: moves the remote queue onto the page's free list; returns how many blocks.
// Walks no block when the free list is empty (the count travels in the queue word); else
// checks each block's page cookie on the way to the queue's tail.
unsigned remote_collect(Page* pg);

}  // namespace hm
