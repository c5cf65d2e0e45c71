// os box: mmap / munmap / madvise with alignment by over-mapping and trimming.
#include "os/os.h"

#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

namespace hm {
namespace {
constinit OsCounters g_counters;
}

OsCounters& os_counters() { return g_counters; }

size_t os_page_size() {
  static size_t page = 0;
  if (!page) page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

uint64_t os_now_ms() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000 + static_cast<uint64_t>(t.tv_nsec) / 1000000 + 1;
}

void* os_map(size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  g_counters.maps.fetch_add(1, std::memory_order_relaxed);
  g_counters.mapped_bytes.fetch_add(size, std::memory_order_relaxed);
  return p;
}

void* os_map_aligned(size_t size, size_t align) {
  if (size + align < size) return nullptr;
  // Ask for the exact size first: the kernel often hands out an aligned range already.
  void* p = os_map(size);
  if (!p) return nullptr;
  if ((reinterpret_cast<uintptr_t>(p) & (align - 1)) == 0) return p;
  os_unmap(p, size);
  uint8_t* raw = static_cast<uint8_t*>(os_map(size + align));
  if (!raw) return nullptr;
  uintptr_t start = (reinterpret_cast<uintptr_t>(raw) + align - 1) & ~(align - 1);
  size_t head = start - reinterpret_cast<uintptr_t>(raw);
  size_t tail = align - head;
  if (head) munmap(raw, head);
  if (tail) munmap(reinterpret_cast<uint8_t*>(start) + size, tail);
  g_counters.mapped_bytes.fetch_sub(head + tail, std::memory_order_relaxed);
  return reinterpret_cast<void*>(start);
}

void os_unmap(void* p, size_t size) {
  munmap(p, size);
  g_counters.unmaps.fetch_add(1, std::memory_order_relaxed);
  g_counters.unmapped_bytes.fetch_add(size, std::memory_order_relaxed);
}

void* os_remap(void* p, size_t old_size, size_t new_size, void* to) {
  void* q = mremap(p, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, to);
  if (q == MAP_FAILED) return nullptr;
  g_counters.unmaps.fetch_add(1, std::memory_order_relaxed);  // `to` was counted when it was mapped
  g_counters.unmapped_bytes.fetch_add(old_size, std::memory_order_relaxed);
  return q;
}

bool os_extend(void* p, size_t old_size, size_t new_size) {
  if (mremap(p, old_size, new_size, 0) == MAP_FAILED) return false;  // no MREMAP_MAYMOVE: in place or not at all
  g_counters.maps.fetch_add(1, std::memory_order_relaxed);
  g_counters.mapped_bytes.fetch_add(new_size - old_size, std::memory_order_relaxed);
  return true;
}

void os_purge(void* p, size_t size) {
  madvise(p, size, MADV_DONTNEED);
  g_counters.purges.fetch_add(1, std::memory_order_relaxed);
  g_counters.purged_bytes.fetch_add(size, std::memory_order_relaxed);
}

}  // namespace hm
