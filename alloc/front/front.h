// front box boundary: the public API (include/hakmem/hakmem.h) plus what the drop-in
// layer (override.cc) and the tools need from the front.
//
// Call tree of the hot path (front.cc):
//   hm_malloc ─ n in 1..2048 (table) or ..128 KiB (log2) ─ tcache_pop ─ hit ─▶ block
//        └─ otherwise ─▶ malloc_slow ─ process start-up, size class, tcache_refill, large_alloc
//   hm_free ─ page_of ─ page_is_block ─ cookie ─ tcache_push ─ room ─▶ done
//        ├─ not a small-segment block ─▶ free_slow ─ large_free / misuse report / forward
//        └─ bin full ─▶ tcache_free_slow (flush half to pages, local or remote)
#pragma once

#include "hakmem/hakmem.h"

namespace hm {

// Process start-up: reads the gates, picks the cookie secret, registers the thread-exit
// and fork hooks. Idempotent and safe to call from any thread; the slow paths call it.
void front_init();

}  // namespace hm
