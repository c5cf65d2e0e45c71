// front box boundary: the public API (include/hakmem/hakmem.h) plus what the drop-in
// layer (override.cc) and the tools need from the front.
//
// Call tree of the hot path (front.cc):
//   hm_malloc ─ n in 1..2048 (table) or ..128 KiB (log2) ─ tcache_pop ─ hit ─▶ block
//        └─ otherwise ─▶ alloc_slow ─ process start-up, the one small/large decision,
//                                    tcache_refill or large_alloc (calloc, realloc, memalign too)
//   hm_free ─ slice entry ─ page_is_block ─ cookie ─ tcache_push ─ room ─▶ done
//        ├─ no carved block start ─▶ free_slow ─ large_free / forward / free_misfit (misuse)
//        └─ bin full ─▶ tcache_free_slow (flush half to pages, local or remote)
#pragma once

#include "hakmem/hakmem.h"

namespace hm {

// Process start-up: reads the gates, picks the cookie secret, registers the thread-exit
// and fork hooks. Idempotent and safe to call from any thread; the slow paths call it.
void front_init();

}  // namespace hm
