// os box boundary: the only place that talks to the kernel about memory.
#pragma once

#include <atomic>

#include "base.h"

namespace hm {

// Fresh zeroed read-write memory of `size` bytes (a multiple of the OS page), or nullptr.
void* os_map(size_t size);
// As os_map, with the start aligned to `align` (a power of two, >= the OS page). `hinted`
// (HAKMEM_MAP_HINT, passed by the segment and large boxes) asks for it first at the next address
// of a region of hakmem's own (from 2 TiB, 8 TiB long, the start random per process among 2^20
// 4 MiB steps, where the kernel's mmap placement has 28 bits; addresses handed out in 4 MiB
// steps, wrapping at the end), aligned already, so one mmap call does; the program's own
// mappings then lie as they would without hakmem. Where the kernel gives another
// address, and in sanitizer builds (whose shadow memory lies there), it maps as without.
void* os_map_aligned(size_t size, size_t align, bool hinted = false);
// Whether `hinted` can take effect in this build: not under a sanitizer, whose shadow memory lies
// in the region or which treats it as outside the program's memory.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kMapHintsAllowed = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
inline constexpr bool kMapHintsAllowed = false;
#else
inline constexpr bool kMapHintsAllowed = true;
#endif
#else
inline constexpr bool kMapHintsAllowed = true;
#endif
void os_unmap(void* p, size_t size);
// Moves the mapping [p, p+old_size) to `to` (itself aligned and mapped by the caller, at least
// new_size bytes, which the kernel replaces) with new_size bytes, its pages as they were: what
// was resident stays resident, no copy, no fault; the rest reads as zero. p's range is unmapped.
// Returns `to`, or nullptr (nothing moved) when the kernel refuses.
void* os_remap(void* p, size_t old_size, size_t new_size, void* to);
// Grows the mapping [p, p+old_size) to new_size bytes where it is, when the range after it is
// free: its pages stay, the new ones read as zero. false (nothing changed) when it is not. The
// range may be made of several pieces (pages moved in by os_remap).
bool os_extend(void* p, size_t old_size, size_t new_size);
// Gives the physical memory of [p, p+size) back; the range stays mapped and reads as zero.
void os_purge(void* p, size_t size);
size_t os_page_size();
// Milliseconds of a coarse monotonic clock (a few ms of resolution, no system call), never 0:
// the purge delays' clock.
uint64_t os_now_ms();

struct OsCounters {
  std::atomic<uint64_t> maps{0}, unmaps{0}, purges{0};
  std::atomic<uint64_t> hinted{0};  // aligned mappings placed at their hint
  std::atomic<uint64_t> mapped_bytes{0}, unmapped_bytes{0}, purged_bytes{0};
};
OsCounters& os_counters();

}  // namespace hm
