// tcache box boundary: each thread's heap — bounded LIFO bins of free blocks per size
// class, in front of the pages the thread owns.
//
//   front fast lane ── tcache_pop / tcache_push (inline, no locks, no atomics)
//        │ bin empty / bin full / first call of the thread
//        ▼
//   tcache_refill / tcache_free_slow ── transfer box (a full bin's older half / a batch for an
//                                       empty bin), page box (take / put), remote box (push /
//                                       collect), segment box (new spans), abandoned pages
//
// A thread starts on the shared empty heap (every bin empty with bound 0), so its first
// malloc and first free fall into the slow path, which gives it a heap of its own: the
// fast path carries no "initialised?" branch.
#pragma once

#include "base.h"
#include "page/page.h"
#include "sizeclass/sizeclass.h"

namespace hm {

// A bin keeps the room left (bound - blocks held) rather than the count, so a push tests and
// decrements one field. 0 <= room <= bound.
struct Bin {
  Block* head;
  uint32_t room;
  uint32_t bound;  // 0 on the empty heap and with HAKMEM_TCACHE=0
  uint32_t count() const { return bound - room; }
  void set_count(uint32_t n) { room = bound - n; }
};

struct PageQueue {
  Page* head;
  Page* tail;
  uint32_t count;
};

enum : uint8_t { kQueueNone = 0, kQueueAvail = 1, kQueueFull = 2 };

struct HeapCounters {  // the HM_HEAP_COUNTER rows of registry/counters.def
#define HM_HEAP_COUNTER(line, name, label, text) uint64_t name;
#define HM_COUNTER(...)
#include "registry/counters.def"
#undef HM_HEAP_COUNTER
#undef HM_COUNTER
};

struct Heap {
  Bin bins[kClassCount];  // the fast lane's bins (kept empty with bound 0 when hardened)
  // (n-1)/16 -> byte offset of the bin of size_to_class(n), for n <= kLaneMax: the fast lane's
  // class lookup and bin address in one load. All zero on the shared empty heap (bin 0,
  // always empty there).
  uint16_t small_bin[kLaneSlots];
  uintptr_t cookie_key;  // the process secret (free_cookie), beside the table the fast lane reads
  // HAKMEM_HARDEN=1: the bins live in hbins instead, reached only from the slow path, their
  // links stored as next ^ key ^ block and checked on every pop. 0 when not hardened.
  uintptr_t link_key;
  Bin hbins[kClassCount];
  uint8_t ramp_step[kClassCount];  // refills so far of each class, while ramping
  PageQueue avail[kClassCount];  // pages that may have free blocks; head is current
  PageQueue full[kClassCount];   // pages found with no free block
  HeapCounters counters;
  uint32_t pooled_slices;  // slices of pages kept while the heap waits in the pool
  bool real;  // false only for the shared empty heap (and a heap waiting in the pool)
  bool warm;  // waiting in the pool with its bins and all its pages (HAKMEM_WARM_HEAP)
  Heap* next_heap;
  Heap* prev_heap;
};

namespace tcache_detail {
// __thread, not thread_local: constant-initialised TLS needs no init-wrapper call on access.
extern __thread Heap* tl_heap HM_TLS;
}

HM_FAST_PATH Heap* heap_get() { return tcache_detail::tl_heap; }

// The next block of a bin list (decodes hardened links). For slow paths and checkers.
HM_FAST_PATH Block* tcache_next(const Heap* h, const Block* b) {
  return reinterpret_cast<Block*>(reinterpret_cast<uintptr_t>(b->next) ^
                                  (h->link_key ? h->link_key ^ reinterpret_cast<uintptr_t>(b) : 0));
}
HM_FAST_PATH void tcache_set_next(const Heap* h, Block* b, Block* next) {
  b->next = reinterpret_cast<Block*>(reinterpret_cast<uintptr_t>(next) ^
                                     (h->link_key ? h->link_key ^ reinterpret_cast<uintptr_t>(b) : 0));
}

// The bin the slow paths work on: the fast lane's, or the hardened one.
HM_FAST_PATH Bin& slow_bin(Heap* h, unsigned cls) { return h->link_key ? h->hbins[cls] : h->bins[cls]; }
HM_FAST_PATH const Bin& slow_bin(const Heap* h, unsigned cls) { return h->link_key ? h->hbins[cls] : h->bins[cls]; }

namespace tcache_detail {
// A block freed twice, or written after free, lacks its cookie: the pop leaves it in place
// and fails like an empty bin, and the refill that follows reports it (page_stale_block)
// before it is handed out again or its link is trusted.
HM_FAST_PATH Block* bin_pop(const Heap* h, Bin& bin) {
  Block* b = bin.head;
  if (HM_UNLIKELY(!b || b->cookie != (reinterpret_cast<uintptr_t>(b) ^ h->cookie_key))) return nullptr;
  Block* next = b->next;
  bin.head = next;
  bin.room++;
  // The next pop reads and writes the new head's first line: start fetching it now (a block
  // another thread freed is in that thread's cache). A prefetch of null or of a bad link is harmless.
  __builtin_prefetch(next, 1, 3);
  return b;
}
}  // namespace tcache_detail

// Pops a block of class cls, or nullptr when the bin is empty.
HM_FAST_PATH Block* tcache_pop(Heap* h, unsigned cls) { return tcache_detail::bin_pop(h, h->bins[cls]); }

// Pops a block for a request of n bytes, 1 <= n <= kLaneMax, or nullptr when its bin is empty.
HM_FAST_PATH Block* tcache_pop_small(Heap* h, size_t n) {
  return tcache_detail::bin_pop(h, *reinterpret_cast<Bin*>(reinterpret_cast<char*>(h) + h->small_bin[(n - 1) >> 4]));
}

// Pushes a freed block of page pg (its cookie already set by the caller) unless the bin is full.
HM_FAST_PATH bool tcache_push(Heap* h, const Page* pg, Block* b) {
  Bin& bin = *reinterpret_cast<Bin*>(reinterpret_cast<char*>(h) + pg->bin_off);
  uint32_t room;  // full when the decrement borrows; the shared empty heap is never written
  if (HM_UNLIKELY(__builtin_sub_overflow(bin.room, 1u, &room))) return false;
  bin.room = room;
  b->next = bin.head;
  bin.head = b;
  return true;
}

// Slow malloc of class cls: starts the thread's heap if needed, refills the bin from the
// pages and returns one block (nullptr when out of memory). *hp is updated to the heap in use.
// may_borrow (realloc's new block): when the refill would carve never-used blocks, it may
// instead return a free block of one of the next HAKMEM_BORROW larger classes from this
// thread's bins (its usable size is that class's).
Block* tcache_refill(Heap** hp, unsigned cls, bool may_borrow = false);
// Slow free of block b of page pg, whose bin was full (or the heap not yet started).
void tcache_free_slow(Page* pg, Block* b);
// Empties every bin of the calling thread, and the transfer box, back to the pages and frees
// the calling thread's empty pages.
void tcache_flush_all();
// malloc_trim's part: empties the calling thread's bins and the transfer box (as
// tcache_flush_all), cools every heap waiting in the pool -- its bins back to the pages, empty
// pages back to the segment box, pages with blocks live elsewhere abandoned to running threads
// -- and frees the abandoned pages whose blocks have all been freed since. Returns the pages
// given back.
uint64_t tcache_trim();
// Called once per thread at exit (pthread key destructor): flush the bins; empty pages stay
// with the heap for the next thread within HAKMEM_HEAP_POOL_MB, the rest are freed; pages
// with live blocks are abandoned to the next thread that needs a page of their class.
void heap_thread_exit(Heap* h);

// Process exit (HAKMEM_EXIT_SCAN): walks the calling thread's bins, the bins of every heap
// waiting in the pool and every transfer batch as their next taker would, so a block freed twice
// and never handed out again is reported (page box, INV-PAGE-4) before the process ends.
void tcache_exit_scan();

// Process start-up of the box (pthread key, fork handlers); called once by the front.
void tcache_process_init();

// Calls fn(heap) for every live heap under the heap-list lock.
void heap_for_each(void (*fn)(Heap*, void*), void* arg);
// Calls fn(heap) for every heap waiting in the pool (an exited thread's, for the next thread
// to start), under the heap-list lock: no thread takes or parks a heap meanwhile. Returns the
// slices HAKMEM_HEAP_POOL_MB has granted, read under the same lock: at least the sum of the
// waiting heaps' pooled_slices (a park in progress is granted before its heap is linked).
uint64_t heap_pool_for_each(void (*fn)(Heap*, void*), void* arg);
// Sum of the counters of every heap, live or exited.
HeapCounters heap_counters_total();
// Pages in the global abandoned lists.
uint64_t abandoned_page_count();

}  // namespace hm
