// tcache box inspection header: what the checkers (invariants/), the property test, the unit
// test and the fuzz harness read inside the tcache box, beyond its boundary. No box includes this.
#pragma once

#include <cstddef>

#include "tcache/tcache.h"

namespace hm {

// The cache a heap lives in: every heap the heap box hands out is the `heap` of a ThreadCache
// (tcache_process_init gives it the record's size and the heap's offset).
HM_FAST_PATH ThreadCache* tcache_of(Heap* h) {
  return reinterpret_cast<ThreadCache*>(reinterpret_cast<char*>(h) - offsetof(ThreadCache, heap));
}
HM_FAST_PATH const ThreadCache* tcache_of(const Heap* h) {
  return reinterpret_cast<const ThreadCache*>(reinterpret_cast<const char*>(h) - offsetof(ThreadCache, heap));
}

// The next block of a bin list (decodes hardened links). For slow paths and checkers.
HM_FAST_PATH Block* tcache_next(const ThreadCache* t, const Block* b) {
  return reinterpret_cast<Block*>(reinterpret_cast<uintptr_t>(b->next) ^
                                  (t->link_key ? t->link_key ^ reinterpret_cast<uintptr_t>(b) : 0));
}
HM_FAST_PATH void tcache_set_next(const ThreadCache* t, Block* b, Block* next) {
  b->next = reinterpret_cast<Block*>(reinterpret_cast<uintptr_t>(next) ^
                                     (t->link_key ? t->link_key ^ reinterpret_cast<uintptr_t>(b) : 0));
}

// The bin the slow paths work on: the fast lane's, or the hardened one.
HM_FAST_PATH Bin& slow_bin(ThreadCache* t, unsigned cls) { return t->link_key ? t->hbins[cls] : t->bins[cls]; }
HM_FAST_PATH const Bin& slow_bin(const ThreadCache* t, unsigned cls) {
  return t->link_key ? t->hbins[cls] : t->bins[cls];
}

// The blocks of class cls's spare (HAKMEM_TCACHE_SPARE): none, or the active bin's bound.
HM_FAST_PATH uint32_t tcache_spare_count(const ThreadCache* t, unsigned cls) {
  return t->spare[cls] ? slow_bin(t, cls).bound : 0;
}

// The bin offset of class cls's pages: what tcache_push adds to the cache's address.
HM_FAST_PATH constexpr uint32_t tcache_bin_off(unsigned cls) {
  return static_cast<uint32_t>(offsetof(ThreadCache, bins) + cls * sizeof(Bin));
}

namespace tcache_detail {
extern ThreadCache g_empty_cache;  // the shared empty cache every thread starts on
}

}  // namespace hm
