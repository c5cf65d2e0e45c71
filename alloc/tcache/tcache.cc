// tcache box: heap start-up and exit, bin refill and flush, page queues, abandoned pages.
#include "tcache/tcache.h"

#include <pthread.h>

#include <cstring>
#include <type_traits>

#include "config/config.h"
#include "os/os.h"
#include "remote/remote.h"
#include "report/report.h"
#include "transfer/transfer.h"

namespace hm {
namespace tcache_detail {
constinit Heap g_empty_heap{};  // all bins empty, bound 0: every call takes the slow path
__thread Heap* tl_heap HM_TLS = &g_empty_heap;
}  // namespace tcache_detail

using tcache_detail::g_empty_heap;
using tcache_detail::tl_heap;

namespace {

constinit pthread_key_t g_exit_key;
constinit pthread_mutex_t g_heaps_lock = PTHREAD_MUTEX_INITIALIZER;
constinit Heap* g_heaps = nullptr;       // live heaps
constinit Heap* g_heap_pool = nullptr;   // heaps of exited threads, for reuse
constinit HeapCounters g_exited{};       // counters of exited heaps
constinit pthread_mutex_t g_abandon_lock = PTHREAD_MUTEX_INITIALIZER;
constinit Page* g_abandoned[kClassCount];  // pages of exited threads with blocks still live elsewhere
constinit uint64_t g_abandoned_count = 0;
constinit std::atomic<uint64_t> g_pool_slices{0};  // slices granted to heaps in g_heap_pool (before they are linked)

Block* pop_hardened(Heap* h, unsigned cls);

uintptr_t harden_key() {
  uintptr_t k = free_cookie(0x5bd1e995u) * 0x9e3779b97f4a7c15ull;
  return k ? k : 1;
}

// ---- page queues ----

void queue_push_front(PageQueue& q, Page* pg, uint8_t which) {
  pg->prev = nullptr;
  pg->next = q.head;
  if (q.head) q.head->prev = pg;
  else q.tail = pg;
  q.head = pg;
  q.count++;
  pg->queue = which;
}

void queue_push_back(PageQueue& q, Page* pg, uint8_t which) {
  pg->next = nullptr;
  pg->prev = q.tail;
  if (q.tail) q.tail->next = pg;
  else q.head = pg;
  q.tail = pg;
  q.count++;
  pg->queue = which;
}

void queue_remove(PageQueue& q, Page* pg) {
  if (pg->prev) pg->prev->next = pg->next;
  else q.head = pg->next;
  if (pg->next) pg->next->prev = pg->prev;
  else q.tail = pg->prev;
  q.count--;
  pg->next = pg->prev = nullptr;
  pg->queue = kQueueNone;
}

// ---- heap life cycle ----

void add_counters(HeapCounters& to, const HeapCounters& c) {
#define HM_HEAP_COUNTER(line, name, label, text) to.name += c.name;
#define HM_COUNTER(...)
#include "registry/counters.def"
#undef HM_HEAP_COUNTER
#undef HM_COUNTER
}

// Zeroes every field of h but the avail queues, which hold a pooled heap's empty pages
// (and are empty in a fresh mapping).
void heap_reset(Heap* h) {
  static_assert(std::is_trivially_copyable_v<Heap>);
  auto* p = reinterpret_cast<char*>(h);
  constexpr size_t kFrom = offsetof(Heap, avail), kTo = kFrom + sizeof(Heap::avail);
  std::memset(p, 0, kFrom);
  std::memset(p + kTo, 0, sizeof(Heap) - kTo);
}

// A bin's bound: HAKMEM_TCACHE_MAX blocks, and no more than HAKMEM_TCACHE_KB of them but at least
// kMinBinBound, so small classes keep many blocks and large ones no more than they always had;
// 0 with HAKMEM_TCACHE=0.
constexpr uint32_t kMinBinBound = 64;
uint32_t bin_bound(unsigned cls) {
  if (!config().tcache) return 0;
  auto bound = static_cast<uint32_t>(config().tcache_max);
  if (config().tcache_kb == 0) return bound;
  size_t by_bytes = (static_cast<size_t>(config().tcache_kb) << 10) / class_to_size(cls);
  uint32_t cap = by_bytes < kMinBinBound ? kMinBinBound : by_bytes > bound ? bound : static_cast<uint32_t>(by_bytes);
  return cap < bound ? cap : bound;
}

Heap* heap_start() {
  pthread_mutex_lock(&g_heaps_lock);
  Heap* h = g_heap_pool;
  if (h) g_heap_pool = h->next_heap;
  pthread_mutex_unlock(&g_heaps_lock);
  if (h) {
    HM_CHECK_HOOK(heap_take, h, 0);  // as it waited, before it is anyone's
    g_pool_slices.fetch_sub(h->pooled_slices, std::memory_order_relaxed);
  } else {
    void* mem = os_map((sizeof(Heap) + os_page_size() - 1) & ~(os_page_size() - 1));
    if (!mem) return nullptr;
    h = static_cast<Heap*>(mem);
  }
  if (h->warm) {  // bins, pages and ramp as the last thread left them; fresh counters
    h->counters = {};
    h->pooled_slices = 0;
    h->warm = false;
    h->prev_heap = nullptr;  // linked afresh below
  } else {
    heap_reset(h);
    h->cookie_key = free_cookie(uintptr_t{0});  // the process secret (a free cookie is address ^ secret)
    h->link_key = config().harden ? harden_key() : 0;
    Bin* bins = h->link_key ? h->hbins : h->bins;
    for (unsigned c = 0; c < kClassCount; ++c) bins[c].bound = bins[c].room = bin_bound(c);
  }
  h->real = true;
  for (unsigned i = 0; i < kLaneSlots; ++i)  // slot (n-1)/16 -> the bin of size_to_class(n)
    h->small_bin[i] = static_cast<uint16_t>(offsetof(Heap, bins) + size_to_class((i + 1) * 16) * sizeof(Bin));
  pthread_mutex_lock(&g_heaps_lock);
  h->next_heap = g_heaps;
  if (g_heaps) g_heaps->prev_heap = h;
  g_heaps = h;
  pthread_mutex_unlock(&g_heaps_lock);
  tl_heap = h;
  pthread_setspecific(g_exit_key, h);
  return h;
}

void exit_key_destructor(void* p) {
  if (p) heap_thread_exit(static_cast<Heap*>(p));
}


unsigned collect(Heap* h, Page* pg) {
  unsigned n = remote_collect(pg);
  if (n) {
    h->counters.remote_collects++;
    h->counters.remote_collected += n;
  }
  return n;
}

// Gives back a block of a page this heap owns.
void return_local(Heap* h, Page* pg, Block* b) {
  page_put(pg, b);
  if (pg->queue == kQueueFull) {
    queue_remove(h->full[pg->cls], pg);
    queue_push_back(h->avail[pg->cls], pg, kQueueAvail);
  }
  // An empty page goes back to the segment unless it is the class's current page or the
  // class's queue is within HAKMEM_PAGE_KEEP slices (so steady churn does not thrash spans).
  if (pg->used == 0 && h->avail[pg->cls].head != pg &&
      static_cast<long>(h->avail[pg->cls].count * pg->slices) > config().page_keep) {
    queue_remove(h->avail[pg->cls], pg);
    page_delete(pg);
    h->counters.pages_freed++;
  }
}

// A block of a bin or batch about to be trusted (its link read, or handed to a page): a block
// of a small page carrying its free cookie, else a report.
HM_FAST_PATH Page* checked_free_block(const Block* b) {
  uintptr_t u = reinterpret_cast<uintptr_t>(b);
  Page* pg = page_of(u);
  if (HM_UNLIKELY(!pg || !page_is_block(pg, u) || b->cookie != free_cookie(u))) page_stale_block(b);
  return pg;
}

// A kept bin block whose link is about to be followed: its free cookie, else a report (a block
// freed twice or written after free).
HM_FAST_PATH void bin_cookie_check(const Heap* h, const Block* b) {
  if (HM_UNLIKELY(b->cookie != (reinterpret_cast<uintptr_t>(b) ^ h->cookie_key))) page_stale_block(b);
}

// The one local→remote step: a block goes straight back to its page when heap h (nullptr:
// the thread has none) owns the page, else through the remote box with the page's cookie.
void return_block(Heap* h, Page* pg, Block* b) {
  if (h && pg->owner.load(std::memory_order_relaxed) == h) return return_local(h, pg, b);  // page_put: its cookie
  b->cookie = page_cookie(reinterpret_cast<uintptr_t>(b));
  remote_push(pg, b, b, 1);
  if (h) {
    h->counters.remote_pushes++;
    h->counters.remote_flushed++;
  }
}

// Returns the chain first.. (n blocks) to their pages: locally for the pages this heap
// owns, else by the remote box. Each block is checked and gets its page cookie, so a block
// that is twice in the chain is caught on its second visit instead of being counted twice.
void return_chain(Heap* h, Block* b, unsigned n) {
  h->counters.blocks_flushed += n;
  while (n--) {
    Page* pg = checked_free_block(b);
    Block* next = tcache_next(h, b);
    return_block(h, pg, b);
    b = next;
  }
}

Page* adopt_abandoned(Heap* h, unsigned cls) {
  pthread_mutex_lock(&g_abandon_lock);
  Page* pg = g_abandoned[cls];
  if (pg) {
    g_abandoned[cls] = pg->next;
    g_abandoned_count--;
  }
  pthread_mutex_unlock(&g_abandon_lock);
  if (!pg) return nullptr;
  pg->next = pg->prev = nullptr;
  pg->owner.store(h, std::memory_order_release);
  collect(h, pg);
  h->counters.pages_adopted++;
  return pg;
}

// A page of class cls with a free block, placed at the head of the avail queue.
Page* page_acquire(Heap* h, unsigned cls) {
  PageQueue& full = h->full[cls];
  for (Page* pg = full.head; pg;) {
    Page* next = pg->next;
    if (collect(h, pg)) {
      queue_remove(full, pg);
      queue_push_front(h->avail[cls], pg, kQueueAvail);
      return pg;
    }
    pg = next;
  }
  Page* pg = adopt_abandoned(h, cls);
  if (!pg) {
    pg = page_new(cls, h);
    if (!pg) return nullptr;
    pg->bin_off = static_cast<uint32_t>(offsetof(Heap, bins) + cls * sizeof(Bin));
    h->counters.pages_new++;
  }
  if (!page_has_free(pg)) {
    queue_push_back(h->full[cls], pg, kQueueFull);
    return page_acquire(h, cls);
  }
  queue_push_front(h->avail[cls], pg, kQueueAvail);
  return pg;
}

// A batch another thread's bin gave up, when the transfer box holds one: the first block
// for the caller, the rest into the (empty) bin. Plain links only: hardened bins do not
// take part.
Block* take_batch(Heap* h, unsigned cls) {
  Bin& bin = h->bins[cls];
  if (h->link_key || bin.head || bin.bound == 0 || config().transfer_kb == 0) return nullptr;
  Block* head;
  uint32_t n = transfer_take(cls, &head);
  if (!n) return nullptr;
  h->counters.transfer_takes++;
  checked_free_block(head);
  bin.head = head->next;
  bin.set_count(n - 1);
  return head;
}

// HAKMEM_BORROW: a free block of one of the next few larger classes in use, from this
// thread's bins, instead of carving memory never touched (plain bins only).
Block* borrow(Heap* h, unsigned cls) {
  if (h->link_key) return nullptr;
  for (long k = config().borrow; k > 0; --k) {
    size_t size = class_to_size(cls) + 1;
    if (size > kMaxSmall) return nullptr;
    cls = size_to_class(size);
    if (Block* b = tcache_pop(h, cls)) return b;
  }
  return nullptr;
}

}  // namespace

Block* tcache_refill(Heap** hp, unsigned cls, bool may_borrow) {
  Heap* h = *hp;
  if (HM_UNLIKELY(!h->real)) {
    h = heap_start();
    if (!h) return nullptr;
    *hp = h;
  }
  if (h->link_key) {
    if (Block* b = pop_hardened(h, cls)) return b;
  } else if (Block* head = h->bins[cls].head) {  // the pop failed on a block without its cookie
    checked_free_block(head);
    return tcache_pop(h, cls);  // a caller that had not popped first
  }
  h->counters.refills++;
  HM_CHECK_HOOK(refill, h, cls);
  if (Block* b = take_batch(h, cls)) return b;
  PageQueue& avail = h->avail[cls];
  Page* pg = avail.head;
  for (;;) {
    if (!pg) {
      pg = page_acquire(h, cls);
      if (!pg) return nullptr;
    }
    if (!page_has_free(pg)) collect(h, pg);
    if (page_has_free(pg)) break;
    Page* next = pg->next;
    queue_remove(avail, pg);
    queue_push_back(h->full[cls], pg, kQueueFull);
    pg = next;
  }
  if (avail.head != pg) {  // make the page with free blocks current
    queue_remove(avail, pg);
    queue_push_front(avail, pg, kQueueAvail);
  }
  if (may_borrow && !pg->free) {  // page_take would carve
    if (Block* b = borrow(h, cls)) return b;
  }
  Bin& bin = slow_bin(h, cls);
  Block *first, *last;
  unsigned want = bin.bound / 2 + 1;
  if (config().refill_ramp && (4u << h->ramp_step[cls]) < want) want = 4u << h->ramp_step[cls]++;
  // HAKMEM_CARVE_KB: fresh blocks touch memory, so a refill carves at most that much (at
  // least one block).
  unsigned fresh = ~0u;
  if (uint32_t carve = static_cast<uint32_t>(config().carve_kb) << 10) fresh = carve > pg->block_size ? carve / pg->block_size : 1;
  unsigned k = page_take(pg, want, &first, &last, fresh);
  if (k > 1) {  // the first block goes to the caller, the rest into the bin
    last->next = bin.head;
    bin.head = first->next;
    bin.room -= k - 1;
    if (h->link_key) {  // page links are plain; bin links are encoded
      for (Block* b = bin.head; b != last;) {
        Block* next = b->next;
        tcache_set_next(h, b, next);
        b = next;
      }
      tcache_set_next(h, last, last->next);
    }
  }
  return first;
}

void tcache_free_slow(Page* pg, Block* b) {
  Heap* h = tl_heap;
  if (HM_UNLIKELY(!h->real)) {
    h = heap_start();
    if (!h) return return_block(nullptr, pg, b);  // no heap: the block goes straight back
  }
  HM_CHECK_HOOK(free_slow, b, pg->cls);
  Bin& bin = slow_bin(h, pg->cls);
  if (bin.bound == 0) {
    return_chain(h, b, 1);
    return;
  }
  if (bin.room == 0) {
    // Keep the most recent half, return the older half to the pages.
    h->counters.flushes++;
    // The walk to the cut trusts a kept block's link once its free cookie is seen, as the fast
    // pop does; the blocks handed on are checked in full by whoever takes them.
    unsigned keep = bin.bound / 2;
    Block* cut = bin.head;
    for (unsigned i = 1; i < keep; ++i) {
      bin_cookie_check(h, cut);
      cut = tcache_next(h, cut);
    }
    if (keep) bin_cookie_check(h, cut);
    Block* old = keep ? tcache_next(h, cut) : bin.head;
    unsigned n = bin.count() - keep;
    if (keep) tcache_set_next(h, cut, nullptr);
    else bin.head = nullptr;
    bin.set_count(keep);
    if (h->link_key == 0 && transfer_put(pg->cls, old, n)) h->counters.transfer_puts++;
    else return_chain(h, old, n);
  }
  tcache_set_next(h, b, bin.head);
  bin.head = b;
  bin.room--;
}

namespace {

// Hardened pop: checks the popped block's cookie and the decoded link, reporting a
// write after free (corrupted free-list link) instead of handing out a wild pointer.
Block* pop_hardened(Heap* h, unsigned cls) {
  Bin& bin = h->hbins[cls];
  Block* b = bin.head;
  if (!b) return nullptr;
  uintptr_t u = reinterpret_cast<uintptr_t>(b);
  Block* next = tcache_next(h, b);
  bool ok = b->cookie == free_cookie(u);
  if (ok && next) {
    Page* pg = page_of(reinterpret_cast<uintptr_t>(next));
    ok = pg && pg->cls == cls && page_block_index(pg, reinterpret_cast<uintptr_t>(next)) >= 0;
  }
  if (HM_UNLIKELY(!ok)) {
    report::Site site;
    site.addr = b;
    site.size_class = static_cast<int>(cls);
    site.expected = "intact free cookie and a link to a free block of the same class";
    site.found = "overwritten (write after free?)";
    report::report_misuse(registry::ErrorId::corrupt_link, site);
  }
  bin.head = next;
  bin.room++;
  return b;
}

}  // namespace

namespace {

// Empties the bins of class c back to the pages.
void flush_bin(Heap* h, unsigned c) {
  Bin& bin = slow_bin(h, c);
  Block* list = bin.head;
  unsigned n = bin.count();
  bin.head = nullptr;
  bin.room = bin.bound;
  if (n) return_chain(h, list, n);
}

// Whether an empty page may stay with the exiting heap h (HAKMEM_HEAP_POOL_MB).
bool pool_keeps(Heap* h, const Page* pg) {
  uint64_t limit = (static_cast<uint64_t>(config().heap_pool_mb) << 20) >> kSliceShift;
  if (g_pool_slices.fetch_add(pg->slices, std::memory_order_relaxed) + pg->slices > limit) {
    g_pool_slices.fetch_sub(pg->slices, std::memory_order_relaxed);
    return false;
  }
  h->pooled_slices += pg->slices;
  h->counters.pages_pooled++;
  return true;
}

}  // namespace

void tcache_flush_all() {
  Heap* h = tl_heap;
  if (!h->real) return;
  for (unsigned c = 0; c < kClassCount; ++c) {
    flush_bin(h, c);
    Block* batch;
    while (uint32_t n = transfer_take(c, &batch)) return_chain(h, batch, n);
    // Give every empty page back, the kept ones and the current one included.
    PageQueue& q = h->avail[c];
    for (Page* pg = q.head; pg;) {
      Page* next = pg->next;
      collect(h, pg);
      if (pg->used == 0) {
        queue_remove(q, pg);
        page_delete(pg);
        h->counters.pages_freed++;
      }
      pg = next;
    }
  }
}

namespace {

// The exiting heap h's bins go back to the pages; empty pages stay with the heap within
// HAKMEM_HEAP_POOL_MB (when `pool`), or go back to the segment; pages with blocks live
// elsewhere are abandoned to the next thread that needs a page of their class.
void flush_and_sort_pages(Heap* h, bool pool) {
  for (unsigned c = 0; c < kClassCount; ++c) flush_bin(h, c);
  for (unsigned c = 0; c < kClassCount; ++c) {
    PageQueue keep{};
    for (PageQueue* q : {&h->avail[c], &h->full[c]}) {
      while (Page* pg = q->head) {
        queue_remove(*q, pg);
        collect(h, pg);
        if (pg->used == 0 && pool && pool_keeps(h, pg)) {  // stays with the heap, owner unchanged
          queue_push_back(keep, pg, kQueueAvail);
          continue;
        }
        if (pg->used == 0) {
          page_delete(pg);
          h->counters.pages_freed++;
          continue;
        }
        // Blocks still live elsewhere: leave the page to whichever thread needs one of its
        // class next.
        pg->owner.store(nullptr, std::memory_order_release);
        h->counters.pages_abandoned++;
        pthread_mutex_lock(&g_abandon_lock);
        pg->next = g_abandoned[c];
        g_abandoned[c] = pg;
        g_abandoned_count++;
        pthread_mutex_unlock(&g_abandon_lock);
      }
    }
    h->avail[c] = keep;
  }
}

// The block where a list that should end after n blocks starts to repeat itself (a block freed
// twice into one bin links back to itself or to a block pushed after it), or the block past the
// n-th when the list does not cycle.
const Block* repeated_block(const Heap* h, const Block* head, uint32_t n) {
  const Block* slow = head;
  const Block* fast = head;
  while (fast && tcache_next(h, fast)) {
    slow = tcache_next(h, slow);
    fast = tcache_next(h, tcache_next(h, fast));
    if (slow == fast) {  // a cycle: its entry is the first block reached twice
      for (slow = head; slow != fast; slow = tcache_next(h, slow), fast = tcache_next(h, fast)) {}
      return slow;
    }
  }
  const Block* b = head;
  for (uint32_t i = 0; i < n && b; ++i) b = tcache_next(h, b);
  return b;
}

// HAKMEM_EXIT_SCAN: a chain of n free blocks (a bin, a batch) is walked as its next taker would
// walk it: each block a carved block of its page with its free cookie, and nothing after the n-th.
// A block freed twice and never taken again is reported here, before the memory is gone.
void scan_chain(const Heap* h, const Block* head, uint32_t n) {
  const Block* b = head;
  for (uint32_t i = 0; i < n && b; ++i, b = tcache_next(h, b)) checked_free_block(b);
  if (HM_UNLIKELY(b != nullptr)) page_stale_block(repeated_block(h, head, n));
}

void scan_bins(Heap* h) {
  for (unsigned c = 0; c < kClassCount; ++c) {
    const Bin& bin = slow_bin(h, c);
    scan_chain(h, bin.head, bin.count());
  }
}

// HAKMEM_WARM_HEAP: whether the exiting heap h waits in the pool whole -- bins and every page,
// those with blocks live elsewhere included -- for the next thread, within HAKMEM_HEAP_POOL_MB.
bool park_whole(Heap* h) {
  if (!config().warm_heap) return false;
  uint64_t slices = 0, pages = 0;
  for (unsigned c = 0; c < kClassCount; ++c)
    for (const PageQueue* q : {&h->avail[c], &h->full[c]})
      for (const Page* pg = q->head; pg; pg = pg->next) slices += pg->slices, ++pages;
  uint64_t limit = (static_cast<uint64_t>(config().heap_pool_mb) << 20) >> kSliceShift;
  if (g_pool_slices.fetch_add(slices, std::memory_order_relaxed) + slices > limit) {
    g_pool_slices.fetch_sub(slices, std::memory_order_relaxed);
    return false;
  }
  h->pooled_slices = static_cast<uint32_t>(slices);
  h->counters.pages_pooled += pages;
  h->warm = true;
  return true;
}

}  // namespace

void heap_thread_exit(Heap* h) {
  if (!h->real) return;
  Heap* saved = tl_heap;
  tl_heap = h;
  HM_CHECK_HOOK(heap_exit, h, 0);
  if (config().exit_scan) scan_bins(h);  // a flush would check them too; a parked heap keeps them
  if (!park_whole(h)) flush_and_sort_pages(h, true);
  pthread_mutex_lock(&g_heaps_lock);
  if (h->prev_heap) h->prev_heap->next_heap = h->next_heap;
  else g_heaps = h->next_heap;
  if (h->next_heap) h->next_heap->prev_heap = h->prev_heap;
  add_counters(g_exited, h->counters);
  h->real = false;
  h->next_heap = g_heap_pool;
  g_heap_pool = h;
  pthread_mutex_unlock(&g_heaps_lock);
  tl_heap = saved == h ? &g_empty_heap : saved;
}

void tcache_process_init() {
  pthread_key_create(&g_exit_key, exit_key_destructor);
  transfer_process_init();
  pthread_atfork(
      [] {
        pthread_mutex_lock(&g_heaps_lock);
        pthread_mutex_lock(&g_abandon_lock);
      },
      [] {
        pthread_mutex_unlock(&g_abandon_lock);
        pthread_mutex_unlock(&g_heaps_lock);
      },
      [] {
        pthread_mutex_unlock(&g_abandon_lock);
        pthread_mutex_unlock(&g_heaps_lock);
      });
}

void heap_for_each(void (*fn)(Heap*, void*), void* arg) {
  pthread_mutex_lock(&g_heaps_lock);
  for (Heap* h = g_heaps; h; h = h->next_heap) fn(h, arg);
  pthread_mutex_unlock(&g_heaps_lock);
}

namespace {

// Abandoned pages whose blocks have all come back (frees queued by other threads) go back to
// the segment box; the rest are abandoned again. Returns the pages freed.
uint64_t trim_abandoned() {
  uint64_t freed = 0;
  for (unsigned c = 0; c < kClassCount; ++c) {
    pthread_mutex_lock(&g_abandon_lock);
    Page* list = g_abandoned[c];
    g_abandoned[c] = nullptr;
    pthread_mutex_unlock(&g_abandon_lock);
    if (!list) continue;
    Page *keep = nullptr, *keep_tail = nullptr;
    uint64_t deleted = 0;
    while (Page* pg = list) {  // each page is ours alone while off the list
      list = pg->next;
      remote_collect(pg);
      if (pg->used == 0) {
        page_delete(pg);
        ++deleted;
        continue;
      }
      pg->next = keep;
      keep = pg;
      if (!keep_tail) keep_tail = pg;
    }
    pthread_mutex_lock(&g_abandon_lock);
    if (keep) keep_tail->next = g_abandoned[c], g_abandoned[c] = keep;
    g_abandoned_count -= deleted;
    pthread_mutex_unlock(&g_abandon_lock);
    freed += deleted;
  }
  if (freed) {
    pthread_mutex_lock(&g_heaps_lock);
    g_exited.pages_freed += freed;
    pthread_mutex_unlock(&g_heaps_lock);
  }
  return freed;
}

}  // namespace

uint64_t tcache_trim() {
  uint64_t freed = 0;
  Heap* saved = tl_heap;
  if (saved->real) {
    uint64_t before = saved->counters.pages_freed;
    tcache_flush_all();
    freed += saved->counters.pages_freed - before;
  }
  // Take the whole pool, cool each heap as a cold exit would but keep no page, and put the
  // heaps back empty. Threads that start meanwhile get fresh heaps.
  pthread_mutex_lock(&g_heaps_lock);
  Heap* list = g_heap_pool;
  g_heap_pool = nullptr;
  pthread_mutex_unlock(&g_heaps_lock);
  Heap* last = nullptr;
  for (Heap* h = list; h; last = h, h = h->next_heap) {
    g_pool_slices.fetch_sub(h->pooled_slices, std::memory_order_relaxed);
    h->pooled_slices = 0;
    h->warm = false;
    h->counters = {};  // the heap's earlier counts are in g_exited already
    tl_heap = h;
    flush_and_sort_pages(h, false);
    tl_heap = saved;
    freed += h->counters.pages_freed;
    pthread_mutex_lock(&g_heaps_lock);
    add_counters(g_exited, h->counters);
    pthread_mutex_unlock(&g_heaps_lock);
  }
  if (list) {
    pthread_mutex_lock(&g_heaps_lock);
    last->next_heap = g_heap_pool;
    g_heap_pool = list;
    pthread_mutex_unlock(&g_heaps_lock);
  }
  return freed + trim_abandoned();
}

uint64_t heap_pool_for_each(void (*fn)(Heap*, void*), void* arg) {
  pthread_mutex_lock(&g_heaps_lock);
  for (Heap* h = g_heap_pool; h; h = h->next_heap) fn(h, arg);
  uint64_t granted = g_pool_slices.load(std::memory_order_relaxed);
  pthread_mutex_unlock(&g_heaps_lock);
  return granted;
}

HeapCounters heap_counters_total() {
  pthread_mutex_lock(&g_heaps_lock);
  HeapCounters t = g_exited;
  for (Heap* h = g_heaps; h; h = h->next_heap) add_counters(t, h->counters);
  pthread_mutex_unlock(&g_heaps_lock);
  return t;
}

uint64_t abandoned_page_count() {
  pthread_mutex_lock(&g_abandon_lock);
  uint64_t n = g_abandoned_count;
  pthread_mutex_unlock(&g_abandon_lock);
  return n;
}

void tcache_exit_scan() {
  if (!config().exit_scan) return;
  if (tl_heap->real) scan_bins(tl_heap);
  heap_pool_for_each([](Heap* h, void*) { scan_bins(h); }, nullptr);
  transfer_visit([](unsigned, const TransferBatch& b, void*) { scan_chain(&g_empty_heap, b.head, b.n); }, nullptr);
}

}  // namespace hm
