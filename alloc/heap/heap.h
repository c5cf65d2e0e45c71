// heap box boundary: each thread's heap -- its pages of every size class in two queues per
// class -- from the thread's first slow path to its exit, and what outlives threads: the pool
// of exited threads' heaps and the abandoned pages.
//
//   tcache box (bins) ── heap_start / tcache exit ──▶ heap_retire ──▶ [pool] ──▶ heap_start
//        │ refill / flush                                │ trim: heap_pool_cool
//        ▼                                               ▼
//   heap_page_with_free / heap_page_put ── page box (new / delete), remote box (collect),
//                                          abandoned pages (adopted by the next refill)
//
// A heap lives inside a record the box above declares (its size and the heap's offset are
// given once, at heap_process_init), so a heap waiting in the pool keeps that box's state
// too (HAKMEM_WARM_HEAP). The queue links in Page (heap_queue, heap_next, heap_prev) are this
// box's: heap.cc alone writes them, heap/inspect.h reads them for checkers and tests.
#pragma once

#include "base.h"
#include "page/page.h"
#include "sizeclass/sizeclass.h"

namespace hm {

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

// Page::owner points here. The box above bumps `counters` on its slow paths and reads `real`.
struct Heap {
  PageQueue avail[kClassCount];  // pages that may have free blocks; head is current
  PageQueue full[kClassCount];   // pages found with no free block
  HeapCounters counters;
  uint32_t pooled_slices;  // slices of pages kept while the heap waits in the pool
  bool real;  // false for a heap waiting in the pool (and the box above's shared empty record)
  bool warm;  // waiting in the pool with every page and the record's other state (HAKMEM_WARM_HEAP)
  Heap* next_heap;
  Heap* prev_heap;
};

// Process start-up (pthread key, fork handlers): heaps live in records of record_size bytes at
// offset heap_offset; at a thread's exit the key's destructor calls on_exit(its heap), which
// must end with heap_retire. Later calls change nothing.
void heap_process_init(size_t record_size, size_t heap_offset, void (*on_exit)(Heap*));
// A heap for the calling thread, linked among the live heaps and registered for its exit: one
// waiting in the pool, else a fresh record (all zero). *warm: it kept its pages and the rest of
// its record as its last thread left them (HAKMEM_WARM_HEAP); else everything of the record
// but the heap is the caller's to reset. nullptr when out of memory.
Heap* heap_start(bool* warm);
// The end of a thread's heap: unlinked from the live heaps, its counters added to the exited
// ones', and into the pool for the next thread.
void heap_retire(Heap* h);
// HAKMEM_WARM_HEAP: whether the exiting heap h waits in the pool whole, every page (those with
// blocks live elsewhere included) and its record, within HAKMEM_HEAP_POOL_MB.
bool heap_park_whole(Heap* h);
// h's pages after its blocks came back: empty pages stay with h within HAKMEM_HEAP_POOL_MB
// (when `pool`) or go back to the segment box; pages with blocks live elsewhere are abandoned
// to the next thread that needs a page of their class.
void heap_sort_pages(Heap* h, bool pool);

// Gives back the chain first..last of page pg, which h owns (n blocks linked through next, each
// with its page cookie: page_put_chain); an empty page goes back to the segment unless it is its
// class's current page or the class keeps HAKMEM_PAGE_KEEP slices.
void heap_page_put_chain(Heap* h, Page* pg, Block* first, Block* last, unsigned n);
// The same for one block b, which gets its page cookie here.
void heap_page_put(Heap* h, Page* pg, Block* b);
// A page of class cls with a free block, made the head (current page) of its avail queue:
// from the queues, else an abandoned page, else a new one; nullptr when out of memory.
// before_new (when given) is called once, with h and cls, before a new page is mapped: the box
// above may give blocks it holds of other classes back to their pages first (HAKMEM_TRANSFER_RECLAIM),
// so their empty pages' spans serve the new one.
Page* heap_page_with_free(Heap* h, unsigned cls, void (*before_new)(Heap*, unsigned) = nullptr);
// Gives every empty page of class cls back to the segment box, the current one included.
void heap_release_empty(Heap* h, unsigned cls);

// malloc_trim's part for the pool: takes every waiting heap, calls cool(h) (which empties what
// the record holds and ends with heap_sort_pages(h, false)), and puts the heaps back cold.
// Returns the pages freed.
uint64_t heap_pool_cool(void (*cool)(Heap*));
// Abandoned pages whose blocks have all come back go to the segment box; returns their count.
uint64_t heap_trim_abandoned();

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
