// Unit tests of the heap box: a heap's life cycle on a thread of its own (heap_start, its
// page queues, heap_retire into the pool), abandoned pages and their trim, and through the
// allocator the pool and warm heaps an exiting thread leaves to the next.
#include "heap/inspect.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <thread>
#include <vector>

#include "config/config.h"
#include "each_gate_value.h"
#include "hakmem/check.h"
#include "hakmem/hakmem.h"
#include "tcache/tcache.h"

namespace hm {
namespace {

bool in_list(uint64_t (*each)(void (*)(Heap*, void*), void*), const Heap* h) {
  struct Find {
    const Heap* h;
    bool found = false;
  } f{h};
  each([](Heap* x, void* arg) { auto* f = static_cast<Find*>(arg); f->found = f->found || x == f->h; }, &f);
  return f.found;
}
uint64_t live_each(void (*fn)(Heap*, void*), void* arg) { return heap_for_each(fn, arg), 0; }

unsigned queued(const Heap* h, unsigned cls) { return h->avail[cls].count + h->full[cls].count; }

// A heap started on a thread of its own: its pages come from the segment box through its
// queues, blocks go back with heap_page_put, and heap_retire moves it from the live heaps to
// the pool. Nothing of the tcache box runs on that thread.
TEST(Heap, StartTakePutRetireOnAThreadOfItsOwn) {
  hm_free(hm_malloc(16));  // start-up
  tcache_trim();           // every heap in the pool cold and without pages
  std::thread([] {
    bool warm = true;
    Heap* h = heap_start(&warm);
    ASSERT_NE(h, nullptr);
    EXPECT_TRUE(h->real);
    EXPECT_TRUE(in_list(live_each, h));
    EXPECT_FALSE(in_list(heap_pool_for_each, h));
    unsigned cls = size_to_class(96);
    Page* pg = heap_page_with_free(h, cls);
    ASSERT_NE(pg, nullptr);
    EXPECT_EQ(pg->owner.load(), h);
    EXPECT_EQ(h->avail[cls].head, pg);  // the current page
    EXPECT_EQ(heap_page_queue(pg), kQueueAvail);
    std::vector<Block*> got;
    while (page_has_free(pg)) {  // the whole page handed out: the next call finds another
      Block *first, *last;
      unsigned k = page_take(pg, 64, &first, &last);
      last->next = nullptr;
      for (Block* b = first; k--; b = b->next) got.push_back(b);
    }
    EXPECT_EQ(pg->used, got.size());
    Page* other = heap_page_with_free(h, cls);
    ASSERT_NE(other, nullptr);
    EXPECT_NE(other, pg);
    EXPECT_EQ(heap_page_queue(pg), kQueueFull);  // found with no free block
    EXPECT_EQ(queued(h, cls), 2u);
    heap_page_put(h, pg, got.back());  // a block back: the full page may serve again
    got.pop_back();
    EXPECT_EQ(heap_page_queue(pg), kQueueAvail);
    uint64_t freed = h->counters.pages_freed;
    for (Block* b : got) heap_page_put(h, pg, b);  // empty and not current: back to the segment box
    EXPECT_EQ(h->counters.pages_freed, freed + (config().page_keep == 0 ? 1 : 0));
    if (config().page_keep == 0) EXPECT_EQ(queued(h, cls), 1u);
    heap_release_empty(h, cls);  // the current page too
    EXPECT_EQ(queued(h, cls), 0u);
    heap_sort_pages(h, true);
    heap_retire(h);
    EXPECT_FALSE(h->real);
    EXPECT_FALSE(in_list(live_each, h));
    EXPECT_TRUE(in_list(heap_pool_for_each, h));
  }).join();
  hm_check_result r;
  EXPECT_EQ(hm_check_box("heap", 2, &r), 0) << (r.id ? r.id : "");
}

// Pages whose blocks live on are abandoned when their heap is sorted cold; once the blocks come
// back (freed by another thread), heap_trim_abandoned gives the pages back.
TEST(Heap, AbandonedPagesGoBackOnceTheirBlocksAreFreed) {
  hm_free(hm_malloc(16));
  tcache_trim();  // every heap in the pool cold and without pages
  uint64_t base = abandoned_page_count();
  std::vector<void*> live;
  std::thread([&] {
    bool warm;
    Heap* h = heap_start(&warm);
    ASSERT_NE(h, nullptr);
    Page* pg = heap_page_with_free(h, size_to_class(256));
    ASSERT_NE(pg, nullptr);
    Block *first, *last;
    unsigned k = page_take(pg, 8, &first, &last);
    last->next = nullptr;
    for (Block* b = first; k--; b = b->next) b->cookie = 0, live.push_back(b);  // handed out
    HeapCounters before = heap_counters_total();
    heap_sort_pages(h, false);
    EXPECT_EQ(pg->owner.load(), nullptr);
    EXPECT_EQ(heap_counters_total().pages_abandoned, before.pages_abandoned + 1);
    heap_retire(h);
  }).join();
  EXPECT_EQ(abandoned_page_count(), base + 1);
  EXPECT_EQ(heap_trim_abandoned(), 0u);  // blocks still live
  for (void* p : live) hm_free(p);  // this thread's bins
  tcache_flush_all();               // then the page's remote queue
  EXPECT_GE(heap_trim_abandoned(), 1u);
  EXPECT_EQ(abandoned_page_count(), base);
  hm_check_result r;
  EXPECT_EQ(hm_check_all(2, &r), 0) << (r.id ? r.id : "");
}

// heap_process_init runs once: a later call changes nothing (the records keep their layout).
TEST(Heap, ProcessInitIsOnce) {
  hm_free(hm_malloc(16));
  heap_process_init(sizeof(Heap), 0, nullptr);
  std::thread([] { hm_free(hm_malloc(100)); }).join();  // a tcache record, started and exited
  std::thread([] { hm_free(hm_malloc(100)); }).join();  // the same record from the pool
  hm_check_result r;
  EXPECT_EQ(hm_check_all(2, &r), 0) << (r.id ? r.id : "");
}

// One block of each size from 16 to 1024 bytes, freed again.
void one_of_each_small_size() {
  std::vector<void*> v;
  for (size_t n = 16; n <= 1024; n += 16) v.push_back(hm_malloc(n));
  for (void* p : v) hm_free(p);
}

// An exiting thread's heap either waits in the pool whole (HAKMEM_WARM_HEAP=1: its pages stay
// its own) or flushes and abandons the pages whose blocks live on; either way those blocks stay
// usable, and their frees from another thread reach the pages.
TEST(Heap, ExitedThreadLeavesNoHeapAndItsLiveBlocksStayUsable) {
  each_gate_value("HAKMEM_WARM_HEAP", {"1", "0"}, [](const char* warm) {
    std::vector<char*> kept;
    HeapCounters before = heap_counters_total();
    std::thread([&] {
      for (int i = 0; i < 100; ++i) {
        char* p = static_cast<char*>(hm_malloc(64));
        p[0] = static_cast<char>(i);
        kept.push_back(p);
      }
    }).join();
    HeapCounters after = heap_counters_total();
    bool parked = after.pages_pooled > before.pages_pooled && after.pages_abandoned == before.pages_abandoned;
    bool abandoned = after.pages_abandoned > before.pages_abandoned;
    if (warm[0] == '1' ? !parked : !abandoned) _exit(3);
    for (int i = 0; i < 100; ++i)
      if (kept[i][0] != static_cast<char>(i)) _exit(4);
    for (char* p : kept) hm_free(p);  // into this thread's bins, then back to their pages
    hm_thread_flush();
    // The next thread takes the pooled heap (warm: with the blocks freed since, collected
    // from its pages' remote queues) and allocates without trouble.
    std::thread([] {
      for (int i = 0; i < 1000; ++i) hm_free(hm_malloc(64));
    }).join();
    hm_check_result r;
    _exit(hm_check_all(2, &r) == 0 ? 0 : 5);
  });
}

// HAKMEM_WARM_HEAP=1: the next short-lived thread starts with the last one's bins and pages,
// so the same work needs no refill.
TEST(Heap, WarmHeapSpareTheNextThreadItsRefills) {
  each_gate_value("HAKMEM_WARM_HEAP", {"1", "0"}, [](const char* warm) {
    std::thread(one_of_each_small_size).join();
    uint64_t a = heap_counters_total().refills;
    std::thread(one_of_each_small_size).join();
    uint64_t refills = heap_counters_total().refills - a;
    _exit(warm[0] == '1' ? (refills == 0 ? 0 : 3) : (refills > 0 ? 0 : 4));
  });
}

// Two identical short-lived threads, one after the other, in a fresh child whose
// HAKMEM_HEAP_POOL_MB is set: what the second one needed beyond its heap.
struct SecondThread {
  uint64_t fresh, adopted, pooled;
};
SecondThread second_thread_pages() {
  std::thread(one_of_each_small_size).join();
  HeapCounters a = heap_counters_total();
  std::thread(one_of_each_small_size).join();
  HeapCounters b = heap_counters_total();
  return {b.pages_new - a.pages_new, b.pages_adopted - a.pages_adopted, b.pages_pooled};
}

TEST(Heap, HeapPoolHandsAnExitedThreadsEmptyPagesToTheNextThread) {
  each_gate_value("HAKMEM_HEAP_POOL_MB", {"32", "0"}, [](const char* mb) {
    bool pooled = mb[0] != '0';
    SecondThread t = second_thread_pages();
    hm_check_result r;
    if (hm_check_all(2, &r) != 0) _exit(2);
    std::set<unsigned> classes;  // one page each (fewer with HAKMEM_COARSE_CLASSES=1)
    for (size_t n = 16; n <= 1024; n += 16) classes.insert(size_to_class(n));
    // Pooled: the second thread's heap comes with the first one's pages, no page is
    // made or adopted. Not pooled: the pages went back to the segment, and the second
    // thread makes its own.
    if (pooled) _exit(t.pooled >= classes.size() && t.fresh == 0 && t.adopted == 0 ? 0 : 3);
    _exit(t.pooled == 0 && t.fresh + t.adopted >= classes.size() ? 0 : 4);
  });
}

}  // namespace
}  // namespace hm
