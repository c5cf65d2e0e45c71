// page box: ASan manual poisoning of free blocks (asan builds only; HAKMEM_ASAN=1).
//
// A block is poisoned from byte 16 on while it is free -- its first two words (the next link
// and the free cookie) stay addressable because the allocator reads and writes them while the
// block is free -- and unpoisoned whole when it is handed out again. Memory given back to the
// segment or the OS is unpoisoned first, so a later mapping at the same address starts clean.
// So a use after free through hakmem's own API is reported by ASan ("use-after-poison").
// Outside the asan build every helper is empty and compiles to nothing.
#pragma once

#include "base.h"
#include "page/page.h"

#if defined(HAKMEM_ASAN) && HAKMEM_ASAN
#include <sanitizer/asan_interface.h>
#define HM_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define HM_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define HM_POISON(p, n) ((void)(p), (void)(n))
#define HM_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace hm {

// Bytes at the start of a free block that the allocator itself uses (Block::next, Block::cookie).
inline constexpr size_t kFreeBlockHeader = sizeof(Block);

// A small block of `size` bytes became free.
HM_FAST_PATH void poison_free_block(void* b, size_t size) {
  if (size > kFreeBlockHeader) HM_POISON(static_cast<char*>(b) + kFreeBlockHeader, size - kFreeBlockHeader);
}

// A small block is handed out (its page found through the segment map).
HM_FAST_PATH void unpoison_small_block(void* b) {
#if defined(HAKMEM_ASAN) && HAKMEM_ASAN
  if (const Page* pg = page_of(reinterpret_cast<uintptr_t>(b))) HM_UNPOISON(b, pg->block_size);
#else
  (void)b;
#endif
}

// A span's memory goes back to the segment box (page_delete): nothing in it stays poisoned.
HM_FAST_PATH void unpoison_span(void* start, size_t bytes) { HM_UNPOISON(start, bytes); }

}  // namespace hm
