// large box boundary: blocks above the largest size class, each in its own mapping.
//
// A mapping starts on a 4 MiB boundary with its header; the block follows at
// max(64, alignment). For alignments of 4 MiB and more the block starts a unit of its
// own and the header sits one unit below (page-map kind kSegLargeAbove).
#pragma once

#include <atomic>

#include "base.h"

namespace hm {

inline constexpr uint64_t kLargeMagic = 0x68616b6d656d4c47ull;  // "hakmemLG"
inline constexpr uint64_t kLargeFreedMagic = 0x68616b6d656d4c46ull;  // cached, not handed out
inline constexpr uint64_t kLargeGuard = 0x68616b6d656d4c55ull;  // ^ block: the word before a handed-out block

// The guard word in the 8 bytes before a large block (inside the header's room): a write below
// the block (an underflow) breaks it, and the free finds it broken.
HM_FAST_PATH uint64_t* large_guard_word(uintptr_t block) { return reinterpret_cast<uint64_t*>(block - 8); }

struct LargeHeader {
  uint64_t magic;     // kLargeMagic ^ block address while handed out
  size_t map_size;    // bytes mapped from the header on
  size_t offset;      // block - header
  size_t requested;   // bytes asked for
  LargeHeader* next;  // cache list
  uint64_t cached_ms;  // while cached: when it entered the cache (ms, never 0); 0 once its pages were purged
};

// A block of at least `size` bytes aligned to `align` (power of two >= 16); nullptr on failure.
// `growing`: the block replaces one realloc grows (the caller copies); a cached mapping up to
// HAKMEM_LARGE_GROW_ROOM times the size then serves whole, its rest room for the next growths.
void* large_alloc(size_t size, size_t align, bool growing = false);

// As large_alloc with alignment 16, the block zeroed (fresh mappings are not touched).
void* large_calloc(size_t size);

// kUnderflow: a live block whose guard word was overwritten (*hdr is its header).
enum class LargeLookup { kOk, kNotOurs, kInterior, kFreed, kUnderflow };
// Classifies p against the large mappings; on kOk, *hdr is its header.
LargeLookup large_lookup(uintptr_t p, LargeHeader** hdr);

// Frees a block for which large_lookup said kOk.
void large_free(LargeHeader* hdr);
// Resizes a block for which large_lookup said kOk to `size` bytes (above the largest class)
// without copying it: in place when its mapping has the room or grows where it is (or gives
// back its tail), else its mapping moved whole by the kernel to a new 4 MiB-aligned range
// (pages kept, the new part filled with cached mappings' pages where any). Returns the block,
// whose address may have changed, or nullptr with the block as it was: a block aligned to
// 4 MiB or more, a growth that a cached mapping with resident pages would take (a copy into it
// costs less than faulting fresh pages in), or no room from the kernel.
void* large_realloc(LargeHeader* hdr, size_t size);
// Usable bytes of a block for which large_lookup said kOk.
HM_FAST_PATH size_t large_usable(const LargeHeader* hdr) { return hdr->map_size - hdr->offset; }

struct LargeCounters {
  std::atomic<uint64_t> allocs{0}, frees{0}, cache_hits{0}, cache_misses{0}, unmaps{0};
  std::atomic<uint64_t> resizes{0};  // mappings grown by moving: cached (HAKMEM_LARGE_RESIZE) or live (large_realloc)
  std::atomic<uint64_t> purges{0};   // cached mappings whose pages went back (HAKMEM_LARGE_PURGE_MS)
  std::atomic<uint64_t> live_bytes{0};
};
LargeCounters& large_counters();

// Walks the cache under its lock: fn(header) per cached mapping; returns the cached byte total.
// *bound (when given) receives the byte bound the cache was last kept within.
size_t large_cache_for_each(void (*fn)(LargeHeader*, void*), void* arg, size_t* entries, size_t* bound = nullptr);
// Releases every cached mapping to the OS; returns the bytes released.
size_t large_cache_trim();
// HAKMEM_LARGE_PURGE_MS between large calls: gives back the pages of cached mappings idle that
// long, so a program that stopped using large blocks and works on small ones does not keep
// their memory resident. Called by the small allocations' slow path; one load when no cached
// mapping is due, and it never waits for the cache's lock.
void large_purge_idle();

void large_lock_all();
void large_unlock_all();

}  // namespace hm
