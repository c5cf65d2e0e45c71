// large box: direct mappings plus a small LIFO cache of freed ones (bounded in bytes
// by HAKMEM_LARGE_CACHE_MB), reused when they fit without wasting more than half. With
// HAKMEM_LARGE_RESIZE=1 any cached mapping serves: the best fit among the larger ones gives back
// its excess tail, or else the largest smaller one grows (moved whole by the kernel to a new
// 4 MiB-aligned place when it cannot grow where it is): its pages stay resident, so a program
// that frees and allocates buffers of changing sizes pays page faults only for the difference.
// A block realloc grows into a cached mapping takes one up to HAKMEM_LARGE_GROW_ROOM times its
// size whole: the rest is resident room for its next growths (a cut or a move costs the kernel
// more than the copy it saves).
// With HAKMEM_LARGE_REALLOC a live block's realloc to another large size moves no bytes: its
// mapping grows where it is, or moves whole the same way, or gives back its tail.
// With HAKMEM_LARGE_PURGE_MS a cached mapping idle that long gives its pages back and stays
// cached, so memory a program stopped using does not stay resident.
#include "large/large.h"

#include <pthread.h>

#include <algorithm>
#include <cstring>

#include "config/config.h"
#include "large/poison.h"
#include "os/os.h"
#include "pagemap/pagemap.h"
#include "report/report.h"

namespace hm {
namespace {

constinit pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
constinit LargeHeader* g_cache = nullptr;
constinit size_t g_cache_bytes = 0;
constinit size_t g_cache_entries = 0;
constexpr size_t kMaxCacheEntries = 32;
constinit LargeCounters g_counters;

constexpr size_t kHeaderRoom = 64;
// The cache's byte bound, as last set under the lock: HAKMEM_LARGE_CACHE_MB, or more while the
// live large blocks are many (HAKMEM_LARGE_CACHE_LIVE_PCT of their bytes).
constinit size_t g_bound = 0;

// The bound for now, recorded in g_bound (under the lock).
size_t set_bound() {
  size_t floor = static_cast<size_t>(config().large_cache_mb) << 20;
  size_t live = g_counters.live_bytes.load(std::memory_order_relaxed);
  size_t follow = live / 100 * static_cast<size_t>(config().large_cache_live_pct);
  g_bound = floor > follow ? floor : follow;
  return g_bound;
}

size_t round_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

// The pages of cached mapping h go back to the OS (its header's page kept); it stays cached.
void purge_entry(LargeHeader* h) {
  size_t page = os_page_size();
  uintptr_t base = reinterpret_cast<uintptr_t>(h);
  uintptr_t from = round_up(base + h->offset, page), end = base + h->map_size;
  if (end > from) os_purge(reinterpret_cast<void*>(from), end - from);
  h->cached_ms = 0;
  g_counters.purges.fetch_add(1, std::memory_order_relaxed);
}

// When the next cached mapping falls idle for HAKMEM_LARGE_PURGE_MS (ms of os_now_ms(), never 0,
// so a cached_ms of 0 marks a purged entry); 0: none holds its pages, or idle mappings are never
// purged. Written under the lock, read without.
constinit std::atomic<uint64_t> g_due_ms{0};

// HAKMEM_LARGE_PURGE_MS: the pages of every cached mapping idle that long (its header's page
// kept) go back to the OS; the mapping stays cached. Under the lock.
// A mapping h entered the cache with its pages: it falls due at h->cached_ms + the delay.
void note_resident(const LargeHeader* h) {
  long delay = config().large_purge_ms;
  if (delay < 0) return;
  uint64_t at = h->cached_ms + static_cast<uint64_t>(delay), due = g_due_ms.load(std::memory_order_relaxed);
  if (!due || at < due) g_due_ms.store(at, std::memory_order_relaxed);
}

void purge_idle() {
  long delay = config().large_purge_ms;
  uint64_t due = 0;
  if (delay >= 0 && g_cache) {
    uint64_t now = os_now_ms(), d = static_cast<uint64_t>(delay);
    for (LargeHeader* h = g_cache; h; h = h->next) {
      if (h->cached_ms && now - h->cached_ms >= d) purge_entry(h);
      if (h->cached_ms && (!due || h->cached_ms + d < due)) due = h->cached_ms + d;
    }
  }
  g_due_ms.store(due, std::memory_order_relaxed);
}

uint8_t* block_of(LargeHeader* h) { return reinterpret_cast<uint8_t*>(h) + h->offset; }

void release(LargeHeader* h) {
  uintptr_t base = reinterpret_cast<uintptr_t>(h);
  uintptr_t block = reinterpret_cast<uintptr_t>(block_of(h));
  // The block's unit first: a unit marked large-above always has its header's unit below it.
  if (h->offset >= kSegmentSize) pagemap_set(block, kSegNone);
  pagemap_set(base, kSegNone);
  size_t bytes = h->map_size;
  h->magic = 0;
  large_unpoison(h, bytes);
  os_unmap(h, bytes);
  g_counters.unmaps.fetch_add(1, std::memory_order_relaxed);
}

// Unlinks *link's entry from the cache (under the lock).
LargeHeader* cache_unlink(LargeHeader** link) {
  LargeHeader* h = *link;
  *link = h->next;
  g_cache_bytes -= h->map_size;
  g_cache_entries--;
  return h;
}

// Fills [dst, dst + bytes) with pages moved from the ends of cached mappings (each keeps its
// header and at least one page after it, or goes whole), so a grown block reuses pages that
// are resident instead of faulting fresh ones in. Returns the bytes left unfilled. Under the lock.
size_t steal_pages(uintptr_t dst, size_t bytes) {
  size_t page = os_page_size();
  LargeHeader** link = &g_cache;
  while (bytes && *link) {
    LargeHeader* b = *link;
    uintptr_t base = reinterpret_cast<uintptr_t>(b);
    size_t keep = round_up(b->offset, page) + page;  // the header's page(s) and one more
    size_t k = b->map_size <= bytes ? b->map_size : b->map_size <= keep ? 0 : std::min(bytes, b->map_size - keep);
    if (b->offset >= kSegmentSize || k == 0) {
      link = &b->next;
      continue;
    }
    uintptr_t src = base + b->map_size - k;
    large_unpoison(reinterpret_cast<void*>(src), k);
    if (k == b->map_size) {  // the whole mapping: no longer a mapping of its own
      cache_unlink(link);
      pagemap_set(base, kSegNone);
      b->magic = 0;
    } else {
      b->map_size -= k;
      b->requested = 0;  // cached: no request of its own
      g_cache_bytes -= k;
      link = &b->next;
    }
    if (!os_remap(reinterpret_cast<void*>(src), k, k, reinterpret_cast<void*>(dst)))
      return bytes;  // the kernel refused: the rest faults in fresh
    dst += k;
    bytes -= k;
  }
  return bytes;
}

// The pages [p, p + bytes) of a mapping being cut, kept as a cached mapping of their own (moved
// to a 4 MiB-aligned range, the first page holding its header) while the cache has room; else
// unmapped. Under the lock.
void recache_tail(uintptr_t p, size_t bytes) {
  size_t limit = g_bound;
  void* to = nullptr;
  if (bytes > kHeaderRoom + os_page_size() && g_cache_bytes + bytes <= limit && g_cache_entries < kMaxCacheEntries)
    to = os_map_aligned(bytes, kSegmentSize, config().map_hint != 0);
  if (!to || !os_remap(reinterpret_cast<void*>(p), bytes, bytes, to)) {
    if (to) os_unmap(to, bytes);
    os_unmap(reinterpret_cast<void*>(p), bytes);
    return;
  }
  auto* h = static_cast<LargeHeader*>(to);
  h->map_size = bytes;
  h->offset = kHeaderRoom;
  h->requested = 0;
  h->cached_ms = os_now_ms();
  h->magic = kLargeFreedMagic ^ (reinterpret_cast<uintptr_t>(to) + kHeaderRoom);
  pagemap_set(reinterpret_cast<uintptr_t>(to), kSegLarge);
  h->next = g_cache;
  g_cache = h;
  note_resident(h);
  large_poison(reinterpret_cast<uint8_t*>(to) + kHeaderRoom, bytes - kHeaderRoom);
  g_cache_bytes += bytes;
  g_cache_entries++;
}

// Mapping h's block handed out for `size` bytes: its request, the live magic and the guard word
// before it (INV-LARGE-1), as a new block or one realloc resized.
uint8_t* hand_out(LargeHeader* h, size_t size) {
  h->requested = size;
  uint8_t* block = block_of(h);
  h->magic = kLargeMagic ^ reinterpret_cast<uintptr_t>(block);
  *large_guard_word(reinterpret_cast<uintptr_t>(block)) = kLargeGuard ^ reinterpret_cast<uintptr_t>(block);
  HM_CHECK_HOOK(large_alloc, h, size);
  return block;
}

// Whether the cache holds a mapping with its pages resident that a block of map_size bytes at
// this offset would take: then a copy into it costs less than the fresh pages a grown mapping
// faults in (a page fault costs several times the copy of its bytes).
bool resident_fit(size_t map_size, size_t offset) {
  pthread_mutex_lock(&g_lock);
  bool fit = false;
  for (LargeHeader* c = g_cache; c && !fit; c = c->next)
    fit = c->cached_ms && c->offset == offset && c->map_size >= map_size;
  pthread_mutex_unlock(&g_lock);
  return fit;
}

// Mapping h (cached and unlinked, or live) moved whole to a new 4 MiB-aligned range of map_size
// bytes, its pages kept, the new part filled with pages of cached mappings where there are any.
// nullptr, h as it was, when the kernel gives no room. Under the lock.
LargeHeader* grow_moved(LargeHeader* h, size_t map_size) {
  uintptr_t base = reinterpret_cast<uintptr_t>(h);
  size_t old = h->map_size;
  void* to = os_map_aligned(map_size, kSegmentSize, config().map_hint != 0);
  if (!to) return nullptr;
  // The old unit's map entry goes while the range is still ours: once the pages move, another
  // thread may map a new block there and set its own entry.
  pagemap_set(base, kSegNone);
  if (!os_remap(h, old, old, to)) {
    pagemap_set(base, kSegLarge);  // nothing moved: still ours
    os_unmap(to, map_size);
    return nullptr;
  }
  auto* moved = static_cast<LargeHeader*>(to);
  moved->map_size = map_size;
  pagemap_set(reinterpret_cast<uintptr_t>(moved), kSegLarge);
  steal_pages(reinterpret_cast<uintptr_t>(to) + old, map_size - old);
  g_counters.resizes.fetch_add(1, std::memory_order_relaxed);
  return moved;
}

// A cached mapping (unlinked) cut or grown to map_size bytes, its header and pages kept: a cut
// tail stays cached as a mapping of its own; a growing one moves whole (grow_moved). nullptr,
// the mapping released, when the kernel gives no room. Under the lock.
LargeHeader* resize(LargeHeader* h, size_t map_size) {
  uintptr_t base = reinterpret_cast<uintptr_t>(h);
  size_t old = h->map_size;
  large_unpoison(h, old);
  if (old > map_size) {
    h->map_size = map_size;
    recache_tail(base + map_size, old - map_size);
    return h;
  }
  LargeHeader* moved = grow_moved(h, map_size);
  if (!moved) release(h);
  else moved->cached_ms = os_now_ms();  // pages stolen from other mappings: not known to be zero
  return moved;
}

// A cached mapping of this offset for map_size bytes, or nullptr: the first that fits without
// wasting more than half; for a growing block, else the best fit among the larger whole when
// within HAKMEM_LARGE_GROW_ROOM times map_size; with HAKMEM_LARGE_RESIZE, else the best fit
// among the larger (cut to size) or the largest smaller (grown).
LargeHeader* cache_take(size_t map_size, size_t offset, bool growing) {
  pthread_mutex_lock(&g_lock);
  purge_idle();
  LargeHeader **fit = nullptr, **bigger = nullptr, **smaller = nullptr;
  for (LargeHeader** link = &g_cache; *link; link = &(*link)->next) {
    LargeHeader* h = *link;
    if (h->offset != offset) continue;
    if (h->map_size >= map_size && h->map_size / 2 <= map_size) {
      fit = link;
      break;
    }
    if (h->map_size >= map_size && (!bigger || h->map_size < (*bigger)->map_size)) bigger = link;
    if (h->map_size < map_size && (!smaller || h->map_size > (*smaller)->map_size)) smaller = link;
  }
  size_t room = growing ? static_cast<size_t>(config().large_grow_room) : 0;
  if (!fit && bigger && (*bigger)->map_size <= map_size * room) fit = bigger;  // taken whole
  LargeHeader** take = fit ? fit : !config().large_resize ? nullptr : bigger ? bigger : smaller;
  LargeHeader* h = take ? cache_unlink(take) : nullptr;
  if (h && !fit && h->map_size != map_size) h = resize(h, map_size);
  pthread_mutex_unlock(&g_lock);
  return h;
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
void* large_alloc_impl(size_t size, size_t align, bool zero, bool growing);
}

void* large_alloc(size_t size, size_t align, bool growing) { return large_alloc_impl(size, align, false, growing); }
void* large_calloc(size_t size) { return large_alloc_impl(size, kMinAlign, true, false); }

namespace {
// A calloc of `size` bytes served by cached mapping h: those bytes of its block (at `offset`)
// zeroed, not the rest of a mapping up to twice as large. The pages of a purged mapping
// (cached_ms 0; cut or taken whole, never grown) read as zero already, as the kernel refills
// pages given back with MADV_DONTNEED, so only the rest of the header's page is cleared:
// writing them all would fault every page in for a program that may touch few of them.
void zero_cached(LargeHeader* h, size_t offset, size_t size, size_t page) {
  uintptr_t base = reinterpret_cast<uintptr_t>(h), from = base + offset;
  uintptr_t end = std::min(base + h->map_size, from + size);
  if (!h->cached_ms) end = std::min(end, round_up(from, page));
  std::memset(reinterpret_cast<void*>(from), 0, end - from);
}

void* large_alloc_impl(size_t size, size_t align, bool zero, bool growing) {
  if (align < kMinAlign) align = kMinAlign;
  size_t offset = align < kHeaderRoom ? kHeaderRoom : align;
  if (size > (size_t{1} << 46) || offset > (size_t{1} << 40)) return nullptr;
  size_t page = os_page_size();
  size_t map_size = round_up(offset + size, page);
  LargeHeader* h = offset < kSegmentSize ? cache_take(map_size, offset, growing) : nullptr;
  if (h) {
    large_unpoison(reinterpret_cast<uint8_t*>(h) + h->offset, h->map_size - h->offset);
    g_counters.cache_hits.fetch_add(1, std::memory_order_relaxed);
    if (zero) zero_cached(h, offset, size, page);
  } else {
    g_counters.cache_misses.fetch_add(1, std::memory_order_relaxed);
    if (!pagemap_reserve()) return nullptr;  // no page map: the block could never be freed
    void* mem;
    if (offset < kSegmentSize) {
      mem = os_map_aligned(map_size, kSegmentSize, config().map_hint != 0);
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
    pagemap_set(reinterpret_cast<uintptr_t>(h), kSegLarge);
    if (offset >= kSegmentSize) pagemap_set(reinterpret_cast<uintptr_t>(h) + offset, kSegLargeAbove);
  }
  h->next = nullptr;
  g_counters.allocs.fetch_add(1, std::memory_order_relaxed);
  g_counters.live_bytes.fetch_add(h->map_size, std::memory_order_relaxed);
  return hand_out(h, size);
}
}  // namespace

LargeLookup large_lookup(uintptr_t p, LargeHeader** out) {
  uint8_t kind = pagemap_kind(p);
  uintptr_t unit = p & ~kSegmentMask;
  LargeHeader* h;
  if (kind == kSegLarge) {
    h = reinterpret_cast<LargeHeader*>(unit);
  } else if (kind == kSegLargeAbove) {
    // The block starts this unit; its header is the unit below.
    h = reinterpret_cast<LargeHeader*>(unit - kSegmentSize);
    if (pagemap_kind(reinterpret_cast<uintptr_t>(h)) != kSegLarge) return LargeLookup::kInterior;
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

void* large_realloc(LargeHeader* h, size_t size) {
  if (h->offset >= kSegmentSize || size > (size_t{1} << 46)) return nullptr;
  size_t page = os_page_size(), map_size = round_up(h->offset + size, page), old = h->map_size;
  uintptr_t base = reinterpret_cast<uintptr_t>(h);
  // A growth that fits the mapping (room HAKMEM_LARGE_GROW_ROOM took whole) keeps room for
  // HAKMEM_LARGE_GROW_KEEP times its size: only the tail past that is cut, as for a shrink.
  if (map_size <= old && size >= h->requested) {
    size_t times = static_cast<size_t>(config().large_grow_keep);
    map_size = times ? std::min(old, round_up(h->offset + times * size, page)) : old;
  }
  if (map_size > old && resident_fit(map_size, h->offset)) return nullptr;
  if (map_size != old) {
    bool extended = map_size > old && os_extend(h, old, map_size);  // grown where it is
    pthread_mutex_lock(&g_lock);
    LargeHeader* moved = h;
    if (extended) {  // the new part takes cached mappings' resident pages, as a moved block's does
      large_unpoison(reinterpret_cast<void*>(base + old), map_size - old);
      h->map_size = map_size;
      steal_pages(base + old, map_size - old);
    } else if (map_size < old) {
      h->map_size = map_size;
      recache_tail(base + map_size, old - map_size);
    } else {
      moved = grow_moved(h, map_size);
    }
    pthread_mutex_unlock(&g_lock);
    if (!moved) return nullptr;
    h = moved;
  }
  g_counters.live_bytes.fetch_add(h->map_size - old, std::memory_order_relaxed);  // wraps down on a cut
  return hand_out(h, size);
}

void large_free(LargeHeader* h) {
  HM_CHECK_HOOK(large_free, h, 0);
  g_counters.frees.fetch_add(1, std::memory_order_relaxed);
  g_counters.live_bytes.fetch_sub(h->map_size, std::memory_order_relaxed);
  uintptr_t block = reinterpret_cast<uintptr_t>(block_of(h));
  h->magic = kLargeFreedMagic ^ block;
  LargeHeader* drop = nullptr;  // cached mappings past a bound that fell, oldest first
  if (h->offset < kSegmentSize) {
    pthread_mutex_lock(&g_lock);
    size_t limit = set_bound();
    if (g_cache_bytes + h->map_size <= limit && g_cache_entries < kMaxCacheEntries) {
      h->next = g_cache;
      h->cached_ms = os_now_ms();
      g_cache = h;
      note_resident(h);
      large_poison(block_of(h), h->map_size - h->offset);
      g_cache_bytes += h->map_size;
      g_cache_entries++;
      h = nullptr;
    }
    purge_idle();
    while (g_cache_bytes > limit) {  // the bound follows the live blocks down too
      LargeHeader** last = &g_cache;
      while ((*last)->next) last = &(*last)->next;
      LargeHeader* old = cache_unlink(last);
      old->next = drop;
      drop = old;
    }
    pthread_mutex_unlock(&g_lock);
  }
  if (h) release(h);
  for (LargeHeader* next; drop; drop = next) {
    next = drop->next;
    release(drop);
  }
}

size_t large_cache_for_each(void (*fn)(LargeHeader*, void*), void* arg, size_t* entries, size_t* bound) {
  pthread_mutex_lock(&g_lock);
  for (LargeHeader* h = g_cache; h; h = h->next) fn(h, arg);
  size_t bytes = g_cache_bytes;
  if (entries) *entries = g_cache_entries;
  if (bound) *bound = g_bound ? g_bound : static_cast<size_t>(config().large_cache_mb) << 20;
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

void large_purge_idle() {
  uint64_t due = g_due_ms.load(std::memory_order_relaxed);
  if (!due || os_now_ms() < due || pthread_mutex_trylock(&g_lock) != 0) return;
  purge_idle();
  pthread_mutex_unlock(&g_lock);
}

void large_lock_all() { pthread_mutex_lock(&g_lock); }
void large_unlock_all() { pthread_mutex_unlock(&g_lock); }

}  // namespace hm
