// remote box inspection header: what its checker (invariants/remote_check.cc), tests and fuzz
// harness see beyond remote.h -- the queue word's layout and racy snapshots of a page's queue.
#pragma once

#include "remote/remote.h"

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

// Blocks waiting in pg's remote queue (a racy snapshot; exact when no thread is pushing).
unsigned remote_pending(const Page* pg);
// The first block of pg's remote queue (a racy snapshot), for checkers.
HM_FAST_PATH Block* remote_head(const Page* pg) { return remote_word_head(pg->remote.load(std::memory_order_acquire)); }

}  // namespace hm
