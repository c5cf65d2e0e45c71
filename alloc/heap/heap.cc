// heap box: heap start-up and exit, the heap list and pool, page queues, abandoned pages.
#include "heap/heap.h"

#include <pthread.h>

#include <atomic>
#include <cstring>
#include <type_traits>

#include "config/config.h"
#include "heap/inspect.h"
#include "os/os.h"
#include "remote/remote.h"
#include "report/report.h"

namespace hm {
namespace {

constinit pthread_key_t g_exit_key;
constinit bool g_init_done = false;
constinit size_t g_record_size = sizeof(Heap);  // the record a heap lives in (heap_process_init)
constinit size_t g_heap_offset = 0;
using ExitFn = void (*)(Heap*);
constinit ExitFn g_on_exit = nullptr;
constinit pthread_mutex_t g_heaps_lock = PTHREAD_MUTEX_INITIALIZER;
constinit Heap* g_heaps = nullptr;       // live heaps
constinit Heap* g_heap_pool = nullptr;   // heaps of exited threads, for reuse
constinit HeapCounters g_exited{};       // counters of exited heaps
constinit pthread_mutex_t g_abandon_lock = PTHREAD_MUTEX_INITIALIZER;
constinit Page* g_abandoned[kClassCount];  // pages of exited threads with blocks still live elsewhere
constinit uint64_t g_abandoned_count = 0;
constinit std::atomic<uint64_t> g_pool_slices{0};  // slices granted to heaps in g_heap_pool (before they are linked)

// ---- page queues (the only writers of a page's queue links, with the abandoned lists) ----

void queue_push_front(PageQueue& q, Page* pg, uint8_t which) {
  pg->heap_prev = nullptr;
  pg->heap_next = q.head;
  if (q.head) q.head->heap_prev = pg;
  else q.tail = pg;
  q.head = pg;
  q.count++;
  pg->heap_queue = which;
}

void queue_push_back(PageQueue& q, Page* pg, uint8_t which) {
  pg->heap_next = nullptr;
  pg->heap_prev = q.tail;
  if (q.tail) q.tail->heap_next = pg;
  else q.head = pg;
  q.tail = pg;
  q.count++;
  pg->heap_queue = which;
}

void queue_remove(PageQueue& q, Page* pg) {
  if (pg->heap_prev) pg->heap_prev->heap_next = pg->heap_next;
  else q.head = pg->heap_next;
  if (pg->heap_next) pg->heap_next->heap_prev = pg->heap_prev;
  else q.tail = pg->heap_prev;
  q.count--;
  pg->heap_next = pg->heap_prev = nullptr;
  pg->heap_queue = kQueueNone;
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

void exit_key_destructor(void* p) {
  if (p && g_on_exit) g_on_exit(static_cast<Heap*>(p));
}

uint64_t pool_limit() { return (static_cast<uint64_t>(config().heap_pool_mb) << 20) >> kSliceShift; }

unsigned collect(Heap* h, Page* pg) {
  unsigned n = remote_collect(pg);
  if (n) {
    h->counters.remote_collects++;
    h->counters.remote_collected += n;
  }
  return n;
}

Page* adopt_abandoned(Heap* h, unsigned cls) {
  pthread_mutex_lock(&g_abandon_lock);
  Page* pg = g_abandoned[cls];
  if (pg) {
    g_abandoned[cls] = pg->heap_next;
    g_abandoned_count--;
  }
  pthread_mutex_unlock(&g_abandon_lock);
  if (!pg) return nullptr;
  pg->heap_next = pg->heap_prev = nullptr;
  pg->owner.store(h, std::memory_order_release);
  collect(h, pg);
  h->counters.pages_adopted++;
  return pg;
}

// A page of class cls with a free block, placed at the head of the avail queue.
Page* page_acquire(Heap* h, unsigned cls, void (*before_new)(Heap*, unsigned)) {
  PageQueue& full = h->full[cls];
  for (Page* pg = full.head; pg;) {
    Page* next = pg->heap_next;
    if (collect(h, pg)) {
      queue_remove(full, pg);
      queue_push_front(h->avail[cls], pg, kQueueAvail);
      return pg;
    }
    pg = next;
  }
  Page* pg = adopt_abandoned(h, cls);
  if (!pg) {
    if (before_new) before_new(h, cls);
    pg = page_new(cls, h);
    if (!pg) return nullptr;
    h->counters.pages_new++;
  }
  if (!page_has_free(pg)) {
    queue_push_back(h->full[cls], pg, kQueueFull);
    return page_acquire(h, cls, before_new);
  }
  queue_push_front(h->avail[cls], pg, kQueueAvail);
  return pg;
}

// Whether an empty page may stay with the exiting heap h (HAKMEM_HEAP_POOL_MB).
bool pool_keeps(Heap* h, const Page* pg) {
  if (g_pool_slices.fetch_add(pg->slices, std::memory_order_relaxed) + pg->slices > pool_limit()) {
    g_pool_slices.fetch_sub(pg->slices, std::memory_order_relaxed);
    return false;
  }
  h->pooled_slices += pg->slices;
  h->counters.pages_pooled++;
  return true;
}

}  // namespace

Heap* heap_start(bool* warm) {
  pthread_mutex_lock(&g_heaps_lock);
  Heap* h = g_heap_pool;
  if (h) g_heap_pool = h->next_heap;
  pthread_mutex_unlock(&g_heaps_lock);
  if (h) {
    HM_CHECK_HOOK(heap_take, h, 0);  // as it waited, before it is anyone's
    g_pool_slices.fetch_sub(h->pooled_slices, std::memory_order_relaxed);
  } else {
    void* mem = os_map((g_record_size + os_page_size() - 1) & ~(os_page_size() - 1));
    if (!mem) return nullptr;
    h = reinterpret_cast<Heap*>(static_cast<char*>(mem) + g_heap_offset);
  }
  *warm = h->warm;
  if (h->warm) {  // pages as the last thread left them; fresh counters
    h->counters = {};
    h->pooled_slices = 0;
    h->warm = false;
    h->prev_heap = nullptr;  // linked afresh below
  } else {
    heap_reset(h);
  }
  h->real = true;
  pthread_mutex_lock(&g_heaps_lock);
  h->next_heap = g_heaps;
  if (g_heaps) g_heaps->prev_heap = h;
  g_heaps = h;
  pthread_mutex_unlock(&g_heaps_lock);
  pthread_setspecific(g_exit_key, h);
  return h;
}

void heap_retire(Heap* h) {
  // A heap retired before its thread's exit (a direct call) is no longer that exit's to retire.
  if (pthread_getspecific(g_exit_key) == h) pthread_setspecific(g_exit_key, nullptr);
  pthread_mutex_lock(&g_heaps_lock);
  if (h->prev_heap) h->prev_heap->next_heap = h->next_heap;
  else g_heaps = h->next_heap;
  if (h->next_heap) h->next_heap->prev_heap = h->prev_heap;
  add_counters(g_exited, h->counters);
  h->real = false;
  h->next_heap = g_heap_pool;
  g_heap_pool = h;
  pthread_mutex_unlock(&g_heaps_lock);
}

void heap_page_put(Heap* h, Page* pg, Block* b) {
  b->cookie = page_cookie(reinterpret_cast<uintptr_t>(b));
  heap_page_put_chain(h, pg, b, b, 1);
}

void heap_page_put_chain(Heap* h, Page* pg, Block* first, Block* last, unsigned n) {
  page_put_chain(pg, first, last, n);
  if (pg->heap_queue == kQueueFull) {
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

Page* heap_page_with_free(Heap* h, unsigned cls, void (*before_new)(Heap*, unsigned)) {
  PageQueue& avail = h->avail[cls];
  Page* pg = avail.head;
  for (;;) {
    if (!pg) {
      pg = page_acquire(h, cls, before_new);
      if (!pg) return nullptr;
    }
    if (!page_has_free(pg)) collect(h, pg);
    if (page_has_free(pg)) break;
    Page* next = pg->heap_next;
    queue_remove(avail, pg);
    queue_push_back(h->full[cls], pg, kQueueFull);
    pg = next;
  }
  if (avail.head != pg) {  // make the page with free blocks current
    queue_remove(avail, pg);
    queue_push_front(avail, pg, kQueueAvail);
  }
  return pg;
}

void heap_release_empty(Heap* h, unsigned cls) {
  PageQueue& q = h->avail[cls];
  for (Page* pg = q.head; pg;) {
    Page* next = pg->heap_next;
    collect(h, pg);
    if (pg->used == 0) {
      queue_remove(q, pg);
      page_delete(pg);
      h->counters.pages_freed++;
    }
    pg = next;
  }
}

void heap_sort_pages(Heap* h, bool pool) {
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
        pg->heap_next = g_abandoned[c];
        g_abandoned[c] = pg;
        g_abandoned_count++;
        pthread_mutex_unlock(&g_abandon_lock);
      }
    }
    h->avail[c] = keep;
  }
}

bool heap_park_whole(Heap* h) {
  if (!config().warm_heap) return false;
  uint64_t slices = 0, pages = 0;
  for (unsigned c = 0; c < kClassCount; ++c)
    for (const PageQueue* q : {&h->avail[c], &h->full[c]})
      for (const Page* pg = q->head; pg; pg = pg->heap_next) slices += pg->slices, ++pages;
  if (g_pool_slices.fetch_add(slices, std::memory_order_relaxed) + slices > pool_limit()) {
    g_pool_slices.fetch_sub(slices, std::memory_order_relaxed);
    return false;
  }
  h->pooled_slices = static_cast<uint32_t>(slices);
  h->counters.pages_pooled += pages;
  h->warm = true;
  return true;
}

void heap_process_init(size_t record_size, size_t heap_offset, void (*on_exit)(Heap*)) {
  if (g_init_done) return;
  g_init_done = true;
  g_record_size = record_size;
  g_heap_offset = heap_offset;
  g_on_exit = on_exit;
  pthread_key_create(&g_exit_key, exit_key_destructor);
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

uint64_t heap_trim_abandoned() {
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
      list = pg->heap_next;
      remote_collect(pg);
      if (pg->used == 0) {
        page_delete(pg);
        ++deleted;
        continue;
      }
      pg->heap_next = keep;
      keep = pg;
      if (!keep_tail) keep_tail = pg;
    }
    pthread_mutex_lock(&g_abandon_lock);
    if (keep) keep_tail->heap_next = g_abandoned[c], g_abandoned[c] = keep;
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

uint64_t heap_pool_cool(void (*cool)(Heap*)) {
  // Take the whole pool, cool each heap as a cold exit would but keep no page, and put the
  // heaps back empty. Threads that start meanwhile get fresh heaps.
  pthread_mutex_lock(&g_heaps_lock);
  Heap* list = g_heap_pool;
  g_heap_pool = nullptr;
  pthread_mutex_unlock(&g_heaps_lock);
  uint64_t freed = 0;
  Heap* last = nullptr;
  for (Heap* h = list; h; last = h, h = h->next_heap) {
    g_pool_slices.fetch_sub(h->pooled_slices, std::memory_order_relaxed);
    h->pooled_slices = 0;
    h->warm = false;
    h->counters = {};  // the heap's earlier counts are in g_exited already
    cool(h);
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
  return freed;
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

}  // namespace hm
