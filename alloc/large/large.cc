// large box: direct mappings plus a small LIFO cache of freed ones (bounded in bytes
// by HAKMEM_LARGE_CACHE_MB), reused when they fit without wasting more than half.
#include "large/large.h"

#include <pthread.h>

#include <cstring>

#include "config/config.h"
#include "large/poison.h"
#include "os/os.h"
#include "report/report.h"
#include "segment/segment.h"

namespace hm {
namespace {

constinit pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
constinit LargeHeader* g_cache = nullptr;
constinit size_t g_cache_bytes = 0;
constinit size_t g_cache_entries = 0;
constexpr size_t kMaxCacheEntries = 32;
constinit LargeCounters g_counters;

constexpr size_t kHeaderRoom = 64;

size_t round_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

uint8_t* block_of(LargeHeader* h) { return reinterpret_cast<uint8_t*>(h) + h->offset; }

void release(LargeHeader* h) {
  uintptr_t base = reinterpret_cast<uintptr_t>(h);
  uintptr_t block = reinterpret_cast<uintptr_t>(block_of(h));
  segmap_set(base, kSegNone);
  if (h->offset >= kSegmentSize) segmap_set(block, kSegNone);
  size_t bytes = h->map_size;
  h->magic = 0;
  large_unpoison(h, bytes);
  os_unmap(h, bytes);
  g_counters.unmaps.fetch_add(1, std::memory_order_relaxed);
}

LargeHeader* cache_take(size_t map_size, size_t offset) {
  pthread_mutex_lock(&g_lock);
  LargeHeader** link = &g_cache;
  for (LargeHeader* h = g_cache; h; link = &h->next, h = h->next) {
    if (h->offset == offset && h->map_size >= map_size && h->map_size / 2 <= map_size) {
      *link = h->next;
      g_cache_bytes -= h->map_size;
      g_cache_entries--;
      pthread_mutex_unlock(&g_lock);
      return h;
    }
  }
  pthread_mutex_unlock(&g_lock);
  return nullptr;
}

// Maps `total` bytes whose start lies one 4 MiB unit below an `align` boundary.
void* map_below_aligned(size_t total, size_t align) {
  if (total + align < total) return nullptr;
  auto* raw = static_cast<uint8_t*>(os_map(total + align + kSegmentSize));
  if (!raw) return nullptr;
  uintptr_t r = reinterpret_cast<uintptr_t>(raw);
  uintptr_t a = (r + kSegmentSize + align - 1) & ~(align - 1);
  uintptr_t base = a - kSegmentSize;
  size_t head = base - r;
  size_t tail = (r + total + align + kSegmentSize) - (base + total);
  if (head) os_unmap(raw, head);
  if (tail) os_unmap(reinterpret_cast<void*>(base + total), tail);
  return reinterpret_cast<void*>(base);
}

}  // namespace

LargeCounters& large_counters() { return g_counters; }

namespace {
void* large_alloc_impl(size_t size, size_t align, bool zero);
}

void* large_alloc(size_t size, size_t align) { return large_alloc_impl(size, align, false); }
void* large_calloc(size_t size) { return large_alloc_impl(size, kMinAlign, true); }

namespace {
void* large_alloc_impl(size_t size, size_t align, bool zero) {
  if (align < kMinAlign) align = kMinAlign;
  size_t offset = align < kHeaderRoom ? kHeaderRoom : align;
  if (size > (size_t{1} << 46) || offset > (size_t{1} << 40)) return nullptr;
  size_t page = os_page_size();
  size_t map_size = round_up(offset + size, page);
  LargeHeader* h = offset < kSegmentSize ? cache_take(map_size, offset) : nullptr;
  if (h) {
    large_unpoison(reinterpret_cast<uint8_t*>(h) + h->offset, h->map_size - h->offset);
    g_counters.cache_hits.fetch_add(1, std::memory_order_relaxed);
    if (zero) std::memset(reinterpret_cast<uint8_t*>(h) + offset, 0, h->map_size - offset);
  } else {
    g_counters.cache_misses.fetch_add(1, std::memory_order_relaxed);
    void* mem;
    if (offset < kSegmentSize) {
      mem = os_map_aligned(map_size, kSegmentSize);
    } else {
      // The block starts a 4 MiB unit aligned to `align`; the header is the unit below.
      offset = kSegmentSize;
      map_size = round_up(offset + size, page);
      mem = map_below_aligned(map_size, align);
    }
    if (!mem) return nullptr;
    h = static_cast<LargeHeader*>(mem);
    h->map_size = map_size;
    h->offset = offset;
    segmap_set(reinterpret_cast<uintptr_t>(h), kSegLarge);
    if (offset >= kSegmentSize) segmap_set(reinterpret_cast<uintptr_t>(h) + offset, kSegLargeAbove);
  }
  h->requested = size;
  h->next = nullptr;
  uint8_t* block = block_of(h);
  h->magic = kLargeMagic ^ reinterpret_cast<uintptr_t>(block);
  *large_guard_word(reinterpret_cast<uintptr_t>(block)) = kLargeGuard ^ reinterpret_cast<uintptr_t>(block);
  g_counters.allocs.fetch_add(1, std::memory_order_relaxed);
  g_counters.live_bytes.fetch_add(h->map_size, std::memory_order_relaxed);
  HM_CHECK_HOOK(large_alloc, h, size);
  return block;
}
}  // namespace

LargeLookup large_lookup(uintptr_t p, LargeHeader** out) {
  uint8_t kind = segmap_kind(p);
  uintptr_t unit = p & ~kSegmentMask;
  LargeHeader* h;
  if (kind == kSegLarge) {
    h = reinterpret_cast<LargeHeader*>(unit);
  } else if (kind == kSegLargeAbove) {
    // The block starts this unit; its header is the unit below.
    h = reinterpret_cast<LargeHeader*>(unit - kSegmentSize);
    if (segmap_kind(reinterpret_cast<uintptr_t>(h)) != kSegLarge) return LargeLookup::kInterior;
  } else {
    return LargeLookup::kNotOurs;
  }
  uintptr_t base = reinterpret_cast<uintptr_t>(h);
  if (p < base || p >= base + h->map_size) return LargeLookup::kNotOurs;
  uintptr_t block = base + h->offset;
  if (p != block) return LargeLookup::kInterior;
  if (h->magic == (kLargeFreedMagic ^ block)) return LargeLookup::kFreed;
  if (h->magic != (kLargeMagic ^ block)) return LargeLookup::kInterior;
  *out = h;
  if (*large_guard_word(block) != (kLargeGuard ^ block)) return LargeLookup::kUnderflow;
  return LargeLookup::kOk;
}

void large_free(LargeHeader* h) {
  HM_CHECK_HOOK(large_free, h, 0);
  g_counters.frees.fetch_add(1, std::memory_order_relaxed);
  g_counters.live_bytes.fetch_sub(h->map_size, std::memory_order_relaxed);
  size_t limit = static_cast<size_t>(config().large_cache_mb) << 20;
  uintptr_t block = reinterpret_cast<uintptr_t>(block_of(h));
  h->magic = kLargeFreedMagic ^ block;
  if (h->offset < kSegmentSize && h->map_size <= limit) {
    pthread_mutex_lock(&g_lock);
    if (g_cache_bytes + h->map_size <= limit && g_cache_entries < kMaxCacheEntries) {
      h->next = g_cache;
      g_cache = h;
      large_poison(block_of(h), h->map_size - h->offset);
      g_cache_bytes += h->map_size;
      g_cache_entries++;
      pthread_mutex_unlock(&g_lock);
      return;
    }
    pthread_mutex_unlock(&g_lock);
  }
  release(h);
}

size_t large_cache_for_each(void (*fn)(LargeHeader*, void*), void* arg, size_t* entries) {
  pthread_mutex_lock(&g_lock);
  for (LargeHeader* h = g_cache; h; h = h->next) fn(h, arg);
  size_t bytes = g_cache_bytes;
  if (entries) *entries = g_cache_entries;
  pthread_mutex_unlock(&g_lock);
  return bytes;
}

size_t large_cache_trim() {
  pthread_mutex_lock(&g_lock);
  LargeHeader* list = g_cache;
  size_t bytes = g_cache_bytes;
  g_cache = nullptr;
  g_cache_bytes = 0;
  g_cache_entries = 0;
  pthread_mutex_unlock(&g_lock);
  while (list) {
    LargeHeader* next = list->next;
    release(list);
    list = next;
  }
  return bytes;
}

void large_lock_all() { pthread_mutex_lock(&g_lock); }
void large_unlock_all() { pthread_mutex_unlock(&g_lock); }

}  // namespace hm
