// front box boundary: the public API (include/hakmem/hakmem.h). The drop-in layer (override.cc)
// is part of the box; its checked mode (redzones) is declared in front/inspect.h.
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
