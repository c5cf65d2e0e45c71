// page box boundary: one span's blocks of one size class.
//
// Blocks are carved lazily: the first `carved` blocks of the span have been handed out at
// least once, the rest have never been touched (so a fresh page costs no memory).
// A carved block is free when it is on the page's free list, in the remote queue, or in a
// thread-cache bin or transfer batch; every free block carries a cookie in its second word:
// free_cookie (address ^ secret, odd) in a bin or batch, page_cookie (the same ^ 1, even) on
// the page's free list or remote queue. A handed-out block carries neither. Whoever takes a
// free block checks its cookie before trusting its link: a block found without the cookie
// its place expects was freed twice or written after free (the front's free may write the
// cookie without reading it first, HAKMEM_REUSE_CHECK). An address at or past `carved` was
// never handed out, so freeing it is an invalid free.
// `used` counts the carved blocks that are not on the page's own free list (handed out,
// in a bin, or waiting in the remote queue); it is written by the owning thread only.
#pragma once

#include <atomic>

#include "base.h"
#include "segment/segment.h"
#include "sizeclass/sizeclass.h"

namespace hm {

struct Heap;

struct Block {
  Block* next;
  uintptr_t cookie;
};

// Two cache lines. The first holds what every free of the page's blocks reads, from any
// thread, and is written only when blocks are carved or the owner changes; the second holds
// what the owner writes on every refill and flush, and the remote queue.
struct Page {
  // -- line 0: read by the free lane of every thread --
  uint8_t* start;       // first block
  uint64_t blk_mul;     // floor(2^64 / block_size) + 1: the block test (page_is_block)
  std::atomic<uint64_t> carve_limit;  // carved * blk_step(this), kept with `carved`
  uintptr_t cookie_key;  // the process secret, copied here so the free lane reads one line
  // Byte offset of the class's bin in a thread's cache: the tcache box's, written by it alone
  // (bind_page in tcache/tcache.cc) and read by its push (tcache_push, the free fast lane).
  uint32_t bin_off;
  uint32_t block_size;  // class_to_size(cls)
  uint32_t capacity;    // blocks in the span
  uint16_t cls;
  uint8_t slices;
  std::atomic<Heap*> owner;    // owning heap; nullptr while abandoned
  std::atomic<uint32_t> carved;  // blocks [0, carved) have been carved (owner writes, any thread reads)
  // -- line 1: the owner's working fields and the remote queue --
  alignas(64) Block* free;     // local free list (owner only)
  uint32_t used;        // blocks not on `free` (owner only)
  // The heap box's links: which queue of the owning heap holds the page, and its neighbours
  // there (or in an abandoned list). Written by heap/heap.cc alone; read elsewhere through
  // heap/inspect.h (heap_page_queue, heap_page_next, heap_page_prev).
  uint8_t heap_queue;
  Page* heap_next;
  Page* heap_prev;
  std::atomic<uint64_t> remote;  // frees by other threads: head block | count << 48 (remote box)
};
static_assert(sizeof(Page) <= kSpanMetaSize);

namespace page_detail {
extern uintptr_t g_secret;
}

// The free cookie of a block at address p.
HM_FAST_PATH uintptr_t free_cookie(uintptr_t p) { return p ^ page_detail::g_secret; }
// The same, read from the page's copy of the secret (the free fast lane).
HM_FAST_PATH uintptr_t free_cookie(const Page* pg, uintptr_t p) { return p ^ pg->cookie_key; }
// The cookie of a free block on its page's free list or remote queue.
HM_FAST_PATH uintptr_t page_cookie(uintptr_t p) { return free_cookie(p) ^ 1; }
// Whether cookie c marks the block at p free, in either place.
HM_FAST_PATH bool is_free_cookie(uintptr_t c, uintptr_t p) { return (c | 1) == free_cookie(p); }
// Chooses the per-process secret (once, at start-up).
void page_secret_init();
// Reports block b, taken from a free list, bin or batch, as freed twice or written after
// free: it lacks the cookie its place expects (INV-PAGE-4).
[[noreturn]] void page_stale_block(const void* b);

// Page of a small-segment address, or nullptr.
HM_FAST_PATH Page* page_of(uintptr_t p) { return static_cast<Page*>(span_meta_of(p)); }

// The block test (its arithmetic: blk_mul_for in page/inspect.h): one multiply and one compare.
// Whether p is exactly the start of a carved block of pg (not interior, misaligned,
// outside the span, or never handed out).
HM_FAST_PATH bool page_is_block(const Page* pg, uintptr_t p) {
  uint64_t x = (p - reinterpret_cast<uintptr_t>(pg->start)) * pg->blk_mul;
  return x < pg->carve_limit.load(std::memory_order_relaxed);
}

// Checks a block reached through pg's free list or remote queue before its link is read: a
// carved block of pg with its page cookie, else a report (page_stale_block).
HM_FAST_PATH void page_check_listed(const Page* pg, const Block* b) {
  uintptr_t u = reinterpret_cast<uintptr_t>(b);
  if (HM_UNLIKELY(!page_is_block(pg, u) || b->cookie != page_cookie(u))) page_stale_block(b);
}

// Block index of p if page_is_block(pg, p), else -1. For slow paths and checkers.
HM_FAST_PATH long page_block_index(const Page* pg, uintptr_t p) {
  if (HM_UNLIKELY(!page_is_block(pg, p))) return -1;
  return static_cast<long>((p - reinterpret_cast<uintptr_t>(pg->start)) / pg->block_size);
}

// HAKMEM_PAGE_COLOR (`mode`): the offset from its span's start at which a page's first block lies.
// Every span starts on a slice, so without it a class's blocks sit at the same offsets in every
// span and share a few cache sets. The offset is taken from the span's address (no shared state,
// and the checker recomputes it), below 4 KiB, in steps of the colour granule: 64 bytes, or the
// block size for a power-of-two class above 64 bytes (its blocks stay aligned to it).
//   1: only within the bytes the span leaves over, and never for a power-of-two class (every
//      block still fits: the capacity is unchanged);
//   2: every class, up to the offset that drops at most 1/16 of the span's blocks (a span of under
//      16 blocks: within what it leaves over). The capacity is what fits after the offset.
HM_FAST_PATH size_t page_color(uintptr_t span_start, size_t span_bytes, size_t block_size, unsigned mode) {
  if (mode == 0) return 0;  // no division when off
  const bool pow2 = (block_size & (block_size - 1)) == 0;
  if (mode == 1 && pow2) return 0;
  const size_t granule = pow2 && block_size > 64 ? block_size : 64;
  const size_t cap = span_bytes / block_size;
  const size_t room = mode == 1 ? span_bytes % block_size : span_bytes - (cap - cap / 16) * block_size;
  const size_t limit = room < 4096 ? room : 4095;
  if (limit < granule) return 0;
  const size_t colors = limit / granule + 1;
  return static_cast<size_t>(((span_start >> kSliceShift) * 0x9e3779b97f4a7c15ull) >> 40) % colors * granule;
}

// A fresh page of class cls owned by `owner`, nothing carved yet; nullptr if out of memory.
Page* page_new(unsigned cls, Heap* owner);
// Gives the page's span back to the segment box. The page must have used == 0.
void page_delete(Page* pg);

// Whether page_take can return a block without looking at the remote queue.
HM_FAST_PATH bool page_has_free(const Page* pg) {
  return pg->free || pg->carved.load(std::memory_order_relaxed) < pg->capacity;
}

// Moves up to n blocks into a chain, from the free list first (each checked for its page
// cookie), then at most max_fresh freshly carved ones (carving touches memory); every block
// taken gets its free cookie. Returns the count taken.
// *first/*last receive the chain (last->next is left dangling for the caller to set).
unsigned page_take(Page* pg, unsigned n, Block** first, Block** last, unsigned max_fresh = ~0u);
// Puts the chain first..last (n blocks of pg, linked through next, each with its page cookie)
// back on the page's free list (owner only).
HM_FAST_PATH void page_put_chain(Page* pg, Block* first, Block* last, unsigned n) {
  last->next = pg->free;
  pg->free = first;
  pg->used -= n;
}
// Puts one block back on the page's free list (owner only), with its page cookie.
HM_FAST_PATH void page_put(Page* pg, Block* b) {
  b->cookie = page_cookie(reinterpret_cast<uintptr_t>(b));
  page_put_chain(pg, b, b, 1);
}

}  // namespace hm

// ASan poisoning of free blocks (asan builds; empty otherwise): part of the boundary.
#include "page/poison.h"
