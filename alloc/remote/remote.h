// remote box boundary: frees of a page's blocks by threads that do not own the page.
// Producers push chains with one CAS; the owner takes the whole queue with one exchange.
#pragma once

#include "page/page.h"

namespace hm {

// Pushes the chain first..last (n blocks) (linked through next) onto pg's remote queue. Any thread.
void remote_push(Page* pg, Block* first, Block* last, unsigned n);

// Owner only: moves the remote queue onto the page's free list; returns how many blocks.
unsigned remote_collect(Page* pg);

// Blocks waiting in pg's remote queue (a racy snapshot; exact when no thread is pushing).
unsigned remote_pending(const Page* pg);

struct RemoteCounters {
  std::atomic<uint64_t> pushes{0}, blocks_pushed{0}, collects{0}, blocks_collected{0};
};
RemoteCounters& remote_counters();

}  // namespace hm
