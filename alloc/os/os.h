// os box boundary: the only place that talks to the kernel about memory.
#pragma once

#include <atomic>

#include "base.h"

namespace hm {

// Fresh zeroed read-write memory of `size` bytes (a multiple of the OS page), or nullptr.
void* os_map(size_t size);
// As os_map, with the start aligned to `align` (a power of two, >= the OS page).
void* os_map_aligned(size_t size, size_t align);
void os_unmap(void* p, size_t size);
// Gives the physical memory of [p, p+size) back; the range stays mapped and reads as zero.
void os_purge(void* p, size_t size);
size_t os_page_size();

struct OsCounters {
  std::atomic<uint64_t> maps{0}, unmaps{0}, purges{0};
  std::atomic<uint64_t> mapped_bytes{0}, unmapped_bytes{0}, purged_bytes{0};
};
OsCounters& os_counters();

}  // namespace hm
