// os box: mmap / munmap / madvise with alignment by hinted addresses, or by over-mapping and
// trimming.
#include "os/os.h"

#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

namespace hm {
namespace {
constinit OsCounters g_counters;

constexpr uintptr_t kHintBase = uintptr_t{2} << 40, kHintEnd = kHintBase + (uintptr_t{8} << 40);
constexpr uintptr_t kHintStep = uintptr_t{4} << 20;
constinit std::atomic<uintptr_t> g_hint{0};  // the next hinted address; 0 until the first

// The hint for a mapping of `span` bytes (a multiple of kHintStep): the region's next address,
// starting at a random one and wrapping at its end; 0 for none this time.
uintptr_t next_hint(uintptr_t span) {
  uintptr_t h = g_hint.load(std::memory_order_relaxed);
  if (!h) {
    uint64_t r = 0x2545f4914f6cdd1dull;
    if (auto* a = reinterpret_cast<const unsigned char*>(getauxval(AT_RANDOM))) std::memcpy(&r, a, sizeof r);
    uintptr_t start = kHintBase + (r % ((kHintEnd - kHintBase) / 2)) / kHintStep * kHintStep;
    g_hint.compare_exchange_strong(h, start, std::memory_order_relaxed);
  }
  h = g_hint.fetch_add(span, std::memory_order_relaxed);
  if (h >= kHintBase && h + span <= kHintEnd) return h;
  g_hint.store(kHintBase, std::memory_order_relaxed);  // past the end: the next one starts over
  return 0;
}

void* map_at_hint(size_t size, size_t align) {
  uintptr_t h = next_hint((size + kHintStep - 1) / kHintStep * kHintStep);
  if (!h) return nullptr;
  void* p = mmap(reinterpret_cast<void*>(h), size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  if ((reinterpret_cast<uintptr_t>(p) & (align - 1)) == 0) return p;  // the hint, or aligned anyway
  munmap(p, size);
  return nullptr;
}
}  // namespace

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

void* os_map_aligned(size_t size, size_t align, bool hinted) {
  if (size + align < size) return nullptr;
  if (kMapHintsAllowed && hinted && align <= kHintStep) {
    if (void* p = map_at_hint(size, align)) {
      g_counters.maps.fetch_add(1, std::memory_order_relaxed);
      g_counters.hinted.fetch_add(1, std::memory_order_relaxed);
      g_counters.mapped_bytes.fetch_add(size, std::memory_order_relaxed);
      return p;
    }
  }
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
  // The range after the mapping mapped afresh, never replacing a mapping there: unlike a
  // resize by mremap, this grows a mapping made of several pieces (pages moved in by os_remap)
  // too. A kernel without MAP_FIXED_NOREPLACE takes the address as a hint: elsewhere is refused.
  void* want = static_cast<char*>(p) + old_size;
  void* q = mmap(want, new_size - old_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
  if (q == MAP_FAILED) return false;
  if (q != want) {
    munmap(q, new_size - old_size);
    return false;
  }
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
