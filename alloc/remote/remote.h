// remote box boundary: frees of a page's blocks by threads that do not own the page.
// Producers push chains with one CAS; the owner takes the whole queue with one exchange.
// The box keeps no counters of its own (shared counters would be written by every thread on
// every push): its callers count pushes and collects in their per-thread counters.
#pragma once

#include "page/page.h"

namespace hm {

// A page's remote queue is one word: the head block in the low 48 bits (every block lies in
// the 47-bit user address space the segment map covers) and the number of queued blocks
// above them, so the owner takes the whole queue, count included, with one exchange.
inline constexpr unsigned kRemoteCountShift = 48;
static_assert(kAddressBits <= kRemoteCountShift);
HM_FAST_PATH Block* remote_word_head(uint64_t w) {
  return reinterpret_cast<Block*>(w & ((uint64_t{1} << kRemoteCountShift) - 1));
}
HM_FAST_PATH unsigned remote_word_count(uint64_t w) { return static_cast<unsigned>(w >> kRemoteCountShift); }
HM_FAST_PATH uint64_t remote_word(const Block* head, unsigned count) {
  return reinterpret_cast<uint64_t>(head) | (uint64_t{count} << kRemoteCountShift);
}

// Pushes the chain first..last (n blocks) (linked through next, each with its page cookie)
// onto pg's remote queue. Any thread.
void remote_push(Page* pg, Block* first, Block* last, unsigned n);

// Owner only: moves the remote queue onto the page's free list; returns how many blocks.
// Walks no block when the free list is empty (the count travels in the queue word); else
// checks each block's page cookie on the way to the queue's tail.
unsigned remote_collect(Page* pg);

// Blocks waiting in pg's remote queue (a racy snapshot; exact when no thread is pushing).
unsigned remote_pending(const Page* pg);
// The first block of pg's remote queue (a racy snapshot), for checkers.
HM_FAST_PATH Block* remote_head(const Page* pg) { return remote_word_head(pg->remote.load(std::memory_order_acquire)); }

}  // namespace hm
