// tcache box boundary: each thread's cache -- bounded LIFO bins of free blocks per size
// class -- in front of the thread's heap (heap box: its pages, its exit, the pool).
//
//   front fast lane ── tcache_pop / tcache_push (inline, no locks, no atomics)
//        │ bin empty / bin full / first call of the thread
//        ▼
//   tcache_refill / tcache_free_slow ── the bin's spare (HAKMEM_TCACHE_SPARE: a full bin set
//        │                              aside whole / an empty bin filled from it whole)
//        ▼ spare full on a free / spare empty on a malloc
//   transfer box (a full spare, or a full bin's older half / a batch for an empty bin), heap box
//   (a page with free blocks / a block back to its page), page box (take), remote box (push)
//
// A thread starts on the shared empty cache (every bin empty with bound 0), so its first
// malloc and first free fall into the slow path, which gives it a cache and heap of its own:
// the fast path carries no "initialised?" branch.
#pragma once

#include "base.h"
#include "heap/heap.h"
#include "page/page.h"
#include "sizeclass/sizeclass.h"
#include "transfer/transfer.h"

namespace hm {

// A bin keeps the room left (bound - blocks held) rather than the count, so a push tests and
// decrements one field. 0 <= room <= bound. With HAKMEM_TCACHE_SPARE a class of a large enough
// bound has half of it (rounded up) in the bin and the other half in its spare (ThreadCache).
struct Bin {
  Block* head;
  uint32_t room;
  uint32_t bound;  // 0 on the empty cache and with HAKMEM_TCACHE=0
  uint32_t count() const { return bound - room; }
  void set_count(uint32_t n) { room = bound - n; }
};

// HAKMEM_TCACHE_SPARE: the least bound of a class whose bin is split into a bin and a spare. A
// smaller bin (under 64 blocks) reaches its ends often as a program's use of the class wanders,
// each time a trip through the slow path where a spare-less bin of twice the size never overflows
// (mixed: 18,376 swaps in 10M ops and about 1% of its time when every class was split).
inline constexpr uint32_t kSpareMinBound = 128;

// The largest bound of any bin: the top of HAKMEM_TCACHE_MAX's range, which HAKMEM_BIN_GROW's
// doublings do not pass either.
inline constexpr uint32_t kBinBoundMax = 4096;

// HAKMEM_BIN_GROW: the overflows in a row, set off by the thread's own blocks with no refill
// between them (its spare's included), that double a bin's bound at its next refill from beyond
// the thread (kGrowDue until then); an overflow set off by another thread's block
// (kForeignOverflow) puts the bound back at that refill instead. Four in a row mean the thread
// freed at least three bins' worth of the class (one and a half times its bound) more than it
// took: a structure dropped, not a bin wandering about its bound. Classes without a spare (of
// more than 512 bytes with the defaults) never grow: in ring:90 their bins of 64 blocks met runs
// of four often enough to double the peak RSS.
inline constexpr uint8_t kGrowOverflows = 4;
inline constexpr uint8_t kGrowDue = 0x40;
inline constexpr uint8_t kForeignOverflow = 0x80;

// HAKMEM_BIN_DECAY_MS: a thread's refills between two looks at the clock for a decay pass.
inline constexpr uint32_t kDecayRefills = 16;

// HAKMEM_CARVE_RAMP: refills cut short by the carve limit before it doubles.
inline constexpr uint8_t kCarveCuts = 4;

// A thread's record: its bins, then its heap (the heap box's part, which allocates, pools and
// retires the whole record; Page::owner points at `heap`). A page's bin_off is the offset of its
// class's bin from the record's start, written by the tcache box alone (tcache.cc, bind_page).
struct ThreadCache {
  Bin bins[kClassCount];  // the fast lane's bins (kept empty with bound 0 when hardened)
  // (n-1)/16 -> byte offset of the bin of size_to_class(n), for n <= kLaneMax: the fast lane's
  // class lookup and bin address in one load. All zero on the shared empty cache (bin 0,
  // always empty there).
  uint16_t small_bin[kLaneSlots];
  uintptr_t cookie_key;  // the process secret (free_cookie), beside the table the fast lane reads
  // HAKMEM_HARDEN=1: the bins live in hbins instead, reached only from the slow path, their
  // links stored as next ^ key ^ block and checked on every pop. 0 when not hardened.
  uintptr_t link_key;
  Bin hbins[kClassCount];
  // HAKMEM_TCACHE_SPARE: each class's spare, a former full bin (the active bins' bound blocks,
  // its last link null) or nullptr. Links as the bin's (encoded when hardened). Only a class
  // whose bound is at least kSpareMinBound has one (has_spare): its bin's bound is then half of
  // it, rounded up.
  Block* spare[kClassCount];
  bool has_spare[kClassCount];
  uint8_t ramp_step[kClassCount];  // refills so far of each class, while ramping
  // HAKMEM_CARVE_RAMP: each class's carve limit doublings, and its refills the limit cut short
  // since the last one (to kCarveCuts).
  uint8_t carve_step[kClassCount];
  uint8_t carve_cuts[kClassCount];
  // HAKMEM_BIN_GROW: each class's doublings of its bin's bound, and its overflows: the count of
  // those set off by the thread's own blocks since its last refill (to kGrowOverflows), with
  // kGrowDue and kForeignOverflow (bin_overflowed, bin_refilled).
  uint8_t grown[kClassCount];
  uint8_t overflows[kClassCount];
  // HAKMEM_BIN_DECAY_MS: each bin's head and count at the last decay pass, its time (os_now_ms)
  // and the refills since the last look at the clock (every kDecayRefills).
  Block* decay_head[kClassCount];
  uint32_t decay_count[kClassCount];
  uint64_t decay_ms;
  uint32_t decay_refills;
  // HAKMEM_TRANSFER_PREFETCH: the first blocks of one class's spare (class spare_named_cls - 1;
  // 0: none), as the walk of a consumer's swap found them, named when that spare goes on.
  uint32_t spare_named_cls;
  uint32_t spare_named;
  Block* spare_hint[kTransferHints];
  // HAKMEM_TRANSFER_DEMOTE=3: per class, the CPU (plus one) whose cache the walk that made the
  // spare demoted it from (0: not demoted), handed on with it.
  uint16_t spare_demoted_on[kClassCount];
  // HAKMEM_TRANSFER_DEMOTE=2 and 3: the CPU this thread last refilled a bin on, plus one (0: not
  // yet), read by the threads that free its blocks and, at 3, by the transfer box's choice.
  std::atomic<uint32_t> cpu_seen;
  Heap heap;
};

namespace tcache_detail {
// __thread, not thread_local: constant-initialised TLS needs no init-wrapper call on access.
extern __thread ThreadCache* tl_cache HM_TLS;

// A block freed twice, or written after free, lacks its cookie: the pop leaves it in place
// and fails like an empty bin, and the refill that follows reports it (page_stale_block)
// before it is handed out again or its link is trusted.
HM_FAST_PATH Block* bin_pop(const ThreadCache* t, Bin& bin) {
  Block* b = bin.head;
  if (HM_UNLIKELY(!b || b->cookie != (reinterpret_cast<uintptr_t>(b) ^ t->cookie_key))) return nullptr;
  Block* next = b->next;
  bin.head = next;
  bin.room++;
  // The next pop reads and writes the new head's first line: start fetching it now (a block
  // another thread freed is in that thread's cache). A prefetch of null or of a bad link is harmless.
  __builtin_prefetch(next, 1, 3);
  return b;
}
}  // namespace tcache_detail

// The calling thread's cache (the shared empty one before its first slow path).
HM_FAST_PATH ThreadCache* tcache_get() { return tcache_detail::tl_cache; }
// The calling thread's heap (not `real` before its first slow path).
HM_FAST_PATH Heap* tcache_heap() { return &tcache_detail::tl_cache->heap; }

// Pops a block of class cls, or nullptr when the bin is empty.
HM_FAST_PATH Block* tcache_pop(ThreadCache* t, unsigned cls) { return tcache_detail::bin_pop(t, t->bins[cls]); }

// Pops a block for a request of n bytes, 1 <= n <= kLaneMax, or nullptr when its bin is empty.
HM_FAST_PATH Block* tcache_pop_small(ThreadCache* t, size_t n) {
  return tcache_detail::bin_pop(t, *reinterpret_cast<Bin*>(reinterpret_cast<char*>(t) + t->small_bin[(n - 1) >> 4]));
}

// Pushes a freed block of page pg (its cookie already set by the caller) unless the bin is full.
HM_FAST_PATH bool tcache_push(ThreadCache* t, const Page* pg, Block* b) {
  Bin& bin = *reinterpret_cast<Bin*>(reinterpret_cast<char*>(t) + pg->bin_off);
  uint32_t room;  // full when the decrement borrows; the shared empty cache is never written
  if (HM_UNLIKELY(__builtin_sub_overflow(bin.room, 1u, &room))) return false;
  bin.room = room;
  b->next = bin.head;
  bin.head = b;
  return true;
}

// Slow malloc of class cls: starts the thread's cache and heap if needed, refills the bin from
// the pages and returns one block (nullptr when out of memory). *tp is updated to the cache in
// use. may_borrow (realloc's new block): when the refill would carve never-used blocks, it may
// instead return a free block of one of the next HAKMEM_BORROW larger classes from this
// thread's bins (its usable size is that class's).
Block* tcache_refill(ThreadCache** tp, unsigned cls, bool may_borrow = false);
// Slow free of block b of page pg, whose bin was full (or the cache not yet started).
void tcache_free_slow(Page* pg, Block* b);
// Empties every bin of the calling thread, and the transfer box, back to the pages and frees
// the calling thread's empty pages.
void tcache_flush_all();
// malloc_trim's part: empties the calling thread's bins and the transfer box (as
// tcache_flush_all), cools every heap waiting in the pool -- its bins back to the pages, empty
// pages back to the segment box, pages with blocks live elsewhere abandoned to running threads
// (heap_pool_cool) -- and frees the abandoned pages whose blocks have all been freed since
// (heap_trim_abandoned). Returns the pages given back.
uint64_t tcache_trim();
// Called once per thread at exit (the heap box's pthread key destructor): unless the heap
// waits in the pool whole (heap_park_whole), flush the bins and sort the pages (heap_sort_pages);
// then the heap is retired to the pool (heap_retire).
void tcache_thread_exit(ThreadCache* t);

// Process exit (HAKMEM_EXIT_SCAN): walks the calling thread's bins, the bins of every heap
// waiting in the pool and every transfer batch as their next taker would, so a block freed twice
// and never handed out again is reported (page box, INV-PAGE-4) before the process ends.
void tcache_exit_scan();

// Process start-up of the box and the heap box below (pthread key, fork handlers); called by
// the front. Later calls change nothing.
void tcache_process_init();

}  // namespace hm
