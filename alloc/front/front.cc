// front box: the public entry points with glibc 2.36 semantics. The fast lane is the
// first few lines of hm_malloc and hm_free; everything else falls through to one slow
// path per direction.
#include "front/front.h"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>

#include "config/config.h"
#include "front/inspect.h"
#include "large/large.h"
#include "page/page.h"
#include "pagemap/pagemap.h"
#include "registry/registry.h"
#include "report/report.h"
#include "segment/segment.h"
#include "sizeclass/sizeclass.h"
#include "stats/stats.h"
#include "tcache/tcache.h"

extern "C" void __libc_free(void*);  // the next allocator, for HAKMEM_FOREIGN_FREE=1

namespace hm {

// Process start-up: reads the gates, picks the cookie secret, registers the thread-exit
// and fork hooks. Idempotent and safe to call from any thread; the slow paths call it.
void front_init();

namespace {

constinit std::atomic<int> g_init_state{0};  // 0 not started, 1 in progress, 2 ready
constinit std::atomic<pid_t> g_init_tid{0};
// Whether free reads a block's cookie before writing it (a double free reported at the second
// free): HAKMEM_REUSE_CHECK=0, or HAKMEM_CHECK / HAKMEM_HARDEN set. Otherwise free only
// writes, and whoever takes the block next checks the cookie (page box, INV-PAGE-4).
constinit bool g_free_reads = true;

[[noreturn]] HM_COLD void misuse(registry::ErrorId kind, const void* p, const Page* pg = nullptr) {
  report::Site site;
  site.addr = p;
  if (pg) {
    site.size_class = pg->cls;
    site.page = pg;
    site.segment = segment_of(reinterpret_cast<uintptr_t>(p));
  }
  report::report_misuse(kind, site);
}

HM_FAST_PATH void* no_memory() {
  errno = ENOMEM;
  return nullptr;
}

HM_FAST_PATH void* finish_block(Block* b) {
  unpoison_small_block(b);
  HM_CHECK_HOOK(malloc, b, 0);
  b->cookie = 0;  // no longer free: a later free of it is legitimate
  return b;
}

// The malloc fast lane: one bin pop for 1..2048 bytes (the heap's table gives the bin); the rest
// of the small classes, up to 128 KiB, pop their bin the same way after a log2 class computation.
// nullptr: an empty bin or a size for the slow path.
HM_FAST_PATH void* alloc_fast(size_t n) {
  if (HM_LIKELY(n - 1 < kLaneMax)) {
    if (Block* b = tcache_pop_small(tcache_get(), n)) return finish_block(b);
  } else if (n - 1 < kMaxSmall) {
    if (Block* b = tcache_pop(tcache_get(), size_to_class(n))) return finish_block(b);
  }
  return nullptr;
}

// A small block of class cls from the slow path; may_borrow: realloc's new block, which may
// come from a larger class instead of never-used memory (HAKMEM_BORROW).
void* small_alloc_slow(unsigned cls, bool may_borrow) {
  ThreadCache* t = tcache_get();
  Block* b = tcache_pop(t, cls);
  if (!b) {
    large_purge_idle();  // a refill: where a program that moved on from large blocks passes
    segment_purge_idle();  // and one that stopped freeing spans
    b = tcache_refill(&t, cls, may_borrow);
  }
  if (HM_UNLIKELY(!b)) return no_memory();
  return finish_block(b);
}

// The one small/large decision: a block of n bytes aligned to align (a power of two), zeroed
// when zero (calloc: align is kMinAlign). Checked mode (g_redzones) adds the redzones: a small
// block of a class n + 32 bytes fit in, or a large one of n + kRedTail bytes with its tail;
// aligned small blocks carry none. may_borrow: realloc's new block (HAKMEM_BORROW); growing: one
// realloc grows, which a large block takes with room (HAKMEM_LARGE_GROW_ROOM).
HM_SLOW_PATH void* alloc_slow(size_t n, size_t align, bool zero, bool may_borrow = false, bool growing = false) {
  front_init();
  if (n == 0) n = 1;
  bool red = g_redzones;
  unsigned cls = kClassCount;
  if (align > kMinAlign) cls = aligned_class(n, align);
  else if (n <= kMaxSmall - (red ? kRedHead + kRedTail : 0)) cls = size_to_class(red ? n + kRedHead + kRedTail : n);
  if (cls < kClassCount) {
    void* b = small_alloc_slow(cls, may_borrow && !red);
    if (b && red && align <= kMinAlign) b = redzone_wrap(b, n, class_to_size(cls));
    if (b && zero) std::memset(b, 0, n);
    return b;
  }
  size_t tail = red ? kRedTail : 0;
  if (n > static_cast<size_t>(PTRDIFF_MAX) - tail - (align > kMinAlign ? align : 0)) return no_memory();
  void* p = zero ? large_calloc(n + tail) : large_alloc(n + tail, align, growing);
  if (!p) return no_memory();
  if (red) redzone_large_fill(p, n);
  return p;
}

// Checked mode: a redzoned small block's head and tail are checked, then the block is freed.
HM_COLD void redzone_free(void* p, Block* blk, Page* pg) {
  registry::ErrorId kind;
  if (const void* bad = redzone_bad(blk, p, &kind)) misuse(kind, bad, pg);
  hm_free(blk);
}

// Checked mode: a large block's tail (its header counts the kRedTail bytes).
void large_tail_check(void* p, const LargeHeader* hdr) {
  if (!g_redzones || hdr->requested < kRedTail) return;
  registry::ErrorId kind;
  if (const void* bad = redzone_large_bad(p, hdr->requested - kRedTail, hdr, &kind)) misuse(kind, bad);
}

// hm_free of an address inside a small segment's span that the fast lane did not take: a
// redzoned block's user pointer (checked mode), else misuse, named here.
HM_COLD void free_misfit(void* p, Page* pg) {
  if (Block* blk = redzone_block(p, pg)) return redzone_free(p, blk, pg);
  uintptr_t u = reinterpret_cast<uintptr_t>(p);
  if (g_redzones && page_block_index(pg, u - kRedHead) >= 0) {  // a redzoned block whose head is gone
    if (is_free_cookie(reinterpret_cast<Block*>(u - kRedHead)->cookie, u - kRedHead))
      misuse(registry::ErrorId::double_free, p, pg);  // freed already
    misuse(registry::ErrorId::heap_underflow, reinterpret_cast<void*>(u - kRedHead), pg);  // overwritten
  }
  if (page_block_index(pg, u) < 0)
    misuse((u & (kMinAlign - 1)) ? registry::ErrorId::misaligned_free : registry::ErrorId::interior_free, p, pg);
  misuse(registry::ErrorId::double_free, p, pg);
}

// The one free path for an address that is no carved small block start: inside a small span
// (free_misfit), or in none (pg is no_span()): null, a large block, a foreign pointer, or misuse.
HM_SLOW_PATH void free_slow(void* p, Page* pg) {
  if (pg != no_span()) return free_misfit(p, pg);
  if (!p) return;
  uintptr_t u = reinterpret_cast<uintptr_t>(p);
  LargeHeader* hdr = nullptr;
  switch (large_lookup(u, &hdr)) {
    case LargeLookup::kOk:
      large_tail_check(p, hdr);
      large_free(hdr);
      return;
    case LargeLookup::kFreed:
      misuse(registry::ErrorId::large_double_free, p);
    case LargeLookup::kInterior:
      misuse(registry::ErrorId::large_interior_free, p);
    case LargeLookup::kUnderflow:
      misuse(registry::ErrorId::large_underflow, large_guard_word(u));
    case LargeLookup::kNotOurs:
      break;
  }
  if (pagemap_kind(u) == kSegNone && config().foreign_free) {
    __libc_free(p);
    return;
  }
  if ((u & (kMinAlign - 1)) != 0) misuse(registry::ErrorId::misaligned_free, p);
  misuse(registry::ErrorId::invalid_free, p);
}

// The free of a carved block of page pg that every test has passed: its free cookie, then its
// bin (hm_free, and realloc's old block, whose page is known from before the copy).
HM_FAST_PATH void free_block(Page* pg, Block* b, uintptr_t cookie) {
  b->cookie = cookie;
  poison_free_block(b, pg->block_size);
  HM_CHECK_HOOK(free, b, reinterpret_cast<uintptr_t>(pg));
  if (HM_UNLIKELY(!tcache_push(tcache_get(), pg, b))) tcache_free_slow(pg, b);
}

// Usable size of a live block, reporting misuse for anything else: a freed small block as
// freed_kind, a freed large one as large_freed_kind. *large: a large block's header; *small: a
// carved block's page (each when given).
size_t usable_or_die(void* p, registry::ErrorId freed_kind, registry::ErrorId large_freed_kind,
                     LargeHeader** large = nullptr, Page** small = nullptr) {
  uintptr_t u = reinterpret_cast<uintptr_t>(p);
  if (Page* pg = page_of(u)) {
    if (HM_UNLIKELY(!page_is_block(pg, u))) {  // not a block start: a redzoned block's user pointer, or misuse
      if (Block* blk = redzone_block(p, pg)) return redzone_size(blk);
      misuse(registry::ErrorId::interior_free, p, pg);
    }
    if (is_free_cookie(reinterpret_cast<Block*>(p)->cookie, u)) misuse(freed_kind, p, pg);
    if (small) *small = pg;
    return pg->block_size;
  }
  LargeHeader* hdr = nullptr;
  switch (large_lookup(u, &hdr)) {
    case LargeLookup::kOk:
      if (large) *large = hdr;
      return g_redzones ? hdr->requested - kRedTail : large_usable(hdr);
    case LargeLookup::kFreed:
      misuse(large_freed_kind, p);
    case LargeLookup::kInterior:
      misuse(registry::ErrorId::large_interior_free, p);
    case LargeLookup::kUnderflow:
      misuse(registry::ErrorId::large_underflow, large_guard_word(u));
    case LargeLookup::kNotOurs:
      break;
  }
  misuse(registry::ErrorId::invalid_usable, p);
}

bool is_pow2(size_t x) { return x && !(x & (x - 1)); }

constexpr size_t kMaxAlignedClass = size_t{64} << 10;  // largest power-of-two class aligned_class uses

// memalign's arguments made whole: an alignment past half the address space is EINVAL, one
// that is no power of two is rounded up to the next.
HM_SLOW_PATH void* memalign_slow(size_t align, size_t n) {
  if (align > SIZE_MAX / 2 + 1) {
    errno = EINVAL;
    return nullptr;
  }
  if (!is_pow2(align)) align = size_t{1} << (floor_log2(align) + 1);
  return alloc_slow(n, align, false);
}

// Aligned fast lane: a power-of-two alignment and size up to 64 KiB pop the bin of the
// power-of-two class >= both (its blocks are aligned to their size). Everything else,
// and an empty bin, goes to memalign_slow.
HM_FAST_PATH void* memalign_impl(size_t align, size_t n) {
  if (align <= kMinAlign) return hm_malloc(n);
  size_t want = n > align ? n : align;
  if (HM_LIKELY(is_pow2(align) && want <= kMaxAlignedClass)) {
    unsigned cls = size_to_class(size_t{1} << (floor_log2(want - 1) + 1));
    if (Block* b = tcache_pop(tcache_get(), cls)) return finish_block(b);
  }
  return memalign_slow(align, n);
}

__attribute__((constructor)) void init_at_load() { front_init(); }
// Process exit: double frees no malloc met again are looked for where they wait (tcache box).
__attribute__((destructor)) void scan_at_exit() {
  if (g_init_state.load(std::memory_order_acquire) == 2) tcache_exit_scan();
}

}  // namespace

void front_init() {
  if (HM_LIKELY(g_init_state.load(std::memory_order_acquire) == 2)) return;
  int expected = 0;
  if (g_init_state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
    g_init_tid.store(gettid(), std::memory_order_relaxed);
    config_init();
    sizeclass_init(config().coarse_classes != 0, static_cast<unsigned>(config().fine_classes));
    page_secret_init();
    g_free_reads = !config().reuse_check || config().check || config().harden;
    g_redzones = report::kCheckHooks && config().check >= 2;
    tcache_process_init();
    pthread_atfork([] { segment_lock_all(), large_lock_all(), pagemap_lock_all(); },
                   [] { pagemap_unlock_all(), large_unlock_all(), segment_unlock_all(); },
                   [] { pagemap_unlock_all(), large_unlock_all(), segment_unlock_all(); });
    g_init_state.store(2, std::memory_order_release);
    stats_init();
    return;
  }
  // Re-entered from inside start-up (a libc call that allocates): defaults are in place.
  if (g_init_tid.load(std::memory_order_relaxed) == gettid()) return;
  while (g_init_state.load(std::memory_order_acquire) != 2) sched_yield();
}

}  // namespace hm

using namespace hm;

extern "C" {

void* hm_malloc(size_t n) {
  if constexpr (report::kCheckHooks) {  // the debug build's checked mode: every block redzoned
    if (HM_UNLIKELY(g_redzones)) return alloc_slow(n, kMinAlign, false);
  }
  if (void* b = alloc_fast(n)) return b;
  return alloc_slow(n, kMinAlign, false);
}

void hm_free(void* p) {
  uintptr_t u = reinterpret_cast<uintptr_t>(p);
  // An address in no small segment, or in a slice of no span, gives the zero record: its block
  // test fails below, and free_slow takes it (large, foreign or bad).
  auto* pg = static_cast<Page*>(slice_entry_any(u));
  auto* b = static_cast<Block*>(p);
  uintptr_t cookie = free_cookie(pg, u);
  if (HM_UNLIKELY(!page_is_block(pg, u))) return free_slow(p, pg);  // not a carved block start
  if (HM_UNLIKELY(g_free_reads)) {  // free already (either cookie)?
    if (HM_UNLIKELY((static_cast<Block*>(p)->cookie | 1) == cookie)) return free_misfit(p, pg);
  }
  free_block(pg, b, cookie);
}

void hm_free_sized(void* p, size_t) { hm_free(p); }
void hm_free_aligned(void* p, size_t) { hm_free(p); }

void* hm_calloc(size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) return no_memory();
  if (HM_LIKELY(total - 1 < kLaneMax)) {  // the malloc fast lane, then zeroed
    void* p = hm_malloc(total);
    if (p) std::memset(p, 0, total);
    return p;
  }
  return alloc_slow(total, kMinAlign, true);
}

void* hm_realloc(void* p, size_t n) {
  if (!p) return hm_malloc(n);
  if (n == 0) {
    hm_free(p);
    return nullptr;
  }
  LargeHeader* hdr = nullptr;
  Page* pg = nullptr;
  size_t old = usable_or_die(p, registry::ErrorId::realloc_freed, registry::ErrorId::large_realloc_freed, &hdr, &pg);
  if (n <= old && n >= old / 2 && !g_redzones) return p;  // redzoned: a new block, whose tail fits n
  if (hdr && n > kMaxSmall && !g_redzones && config().large_realloc) {  // large to large: no copy
    if (void* q = large_realloc(hdr, n)) return q;
  }
  void* q = g_redzones ? nullptr : alloc_fast(n);  // redzoned: the slow path wraps the block
  if (!q) q = alloc_slow(n, kMinAlign, false, true, n > old);
  if (!q) return nullptr;  // errno is ENOMEM; p is untouched
  // A carved block's free cookie is computed before the copy, which may push its page's record
  // and the page map out of the L1 cache: the free after it needs no second lookup.
  uintptr_t cookie = pg ? free_cookie(pg, reinterpret_cast<uintptr_t>(p)) : 0;
  std::memcpy(q, p, n < old ? n : old);
  if (pg) free_block(pg, static_cast<Block*>(p), cookie);
  else hm_free(p);
  return q;
}

void* hm_reallocarray(void* p, size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) return no_memory();
  return hm_realloc(p, total);
}

void* hm_memalign(size_t align, size_t n) { return memalign_impl(align, n); }
void* hm_aligned_alloc(size_t align, size_t n) { return memalign_impl(align, n); }

int hm_posix_memalign(void** out, size_t align, size_t n) {
  if (align % sizeof(void*) != 0 || !is_pow2(align / sizeof(void*))) return EINVAL;
  void* p = memalign_impl(align, n);
  if (!p) return ENOMEM;  // errno is ENOMEM too, as glibc leaves it
  *out = p;
  return 0;
}

void* hm_valloc(size_t n) { return memalign_impl(static_cast<size_t>(getpagesize()), n); }

void* hm_pvalloc(size_t n) {
  size_t page = static_cast<size_t>(getpagesize());
  size_t rounded;
  if (__builtin_add_overflow(n, page - 1, &rounded)) return no_memory();
  rounded &= ~(page - 1);
  return memalign_impl(page, rounded ? rounded : page);
}

size_t hm_malloc_usable_size(void* p) {
  if (!p) return 0;
  return usable_or_die(p, registry::ErrorId::double_free, registry::ErrorId::large_double_free);
}

void hm_thread_flush(void) { tcache_flush_all(); }

int hm_trim(size_t) {
  front_init();
  HM_CHECK_HOOK(trim, nullptr, 0);
  if (!config().trim) return 0;
  uint64_t pages = tcache_trim();
  size_t bytes = large_cache_trim();
  bytes += segment_trim();  // after the pages above went back: their slices are purged too
  return pages || bytes ? 1 : 0;
}

const char* hm_registry_json(void) { return registry::json(); }

}  // extern "C"
