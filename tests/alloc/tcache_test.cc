#include "tcache/tcache.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "config/config.h"
#include "hakmem/check.h"
#include "hakmem/hakmem.h"

namespace hm {
namespace {

TEST(Tcache, FreeThenMallocOfTheSameClassIsLifo) {
  void* a = hm_malloc(40);
  void* b = hm_malloc(40);
  hm_free(a);
  hm_free(b);
  EXPECT_EQ(hm_malloc(48), b);  // 40 and 48 share a class
  EXPECT_EQ(hm_malloc(33), a);
  hm_free(a);
  hm_free(b);
}

TEST(Tcache, BinsStayWithinTheirBoundAndFlushHalf) {
  unsigned cls = size_to_class(200);
  std::vector<void*> v;
  for (int i = 0; i < 1000; ++i) v.push_back(hm_malloc(200));
  Heap* h = heap_get();
  ASSERT_TRUE(h->real);
  uint32_t bound = h->bins[cls].bound;
  EXPECT_EQ(bound, static_cast<uint32_t>(config().tcache_max));
  uint64_t flushes = h->counters.flushes;
  for (void* p : v) {
    hm_free(p);
    ASSERT_LE(h->bins[cls].count(), bound);
  }
  EXPECT_GT(h->counters.flushes, flushes);
  unsigned n = 0;
  for (Block* b = h->bins[cls].head; b; b = b->next) ++n;
  EXPECT_EQ(n, h->bins[cls].count());
}

TEST(Tcache, FlushAllEmptiesEveryBin) {
  std::vector<void*> v;
  for (int i = 0; i < 500; ++i) v.push_back(hm_malloc(static_cast<size_t>(16 + i * 7)));
  for (void* p : v) hm_free(p);
  hm_thread_flush();
  Heap* h = heap_get();
  for (unsigned c = 0; c < kClassCount; ++c) {
    EXPECT_EQ(h->bins[c].count(), 0u) << c;
    EXPECT_EQ(h->bins[c].head, nullptr) << c;
  }
}

TEST(Tcache, ExitedThreadLeavesNoHeapAndItsLiveBlocksStayUsable) {
  std::vector<char*> kept;
  uint64_t abandoned_before = heap_counters_total().pages_abandoned;
  std::thread([&] {
    for (int i = 0; i < 100; ++i) {
      char* p = static_cast<char*>(hm_malloc(64));
      p[0] = static_cast<char>(i);
      kept.push_back(p);
    }
  }).join();
  EXPECT_GT(heap_counters_total().pages_abandoned, abandoned_before);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(kept[i][0], static_cast<char>(i));
  for (char* p : kept) hm_free(p);  // frees into this thread's bins, then to the abandoned pages
  hm_thread_flush();
}

// Two identical short-lived threads, one after the other, in a fresh child whose
// HAKMEM_HEAP_POOL_MB is set: what the second one needed beyond its heap.
struct SecondThread {
  uint64_t fresh, adopted, pooled;
};
SecondThread second_thread_pages() {
  auto work = [] {
    std::vector<void*> v;
    for (size_t n = 16; n <= 1024; n += 16) v.push_back(hm_malloc(n));
    for (void* p : v) hm_free(p);
  };
  std::thread(work).join();
  HeapCounters a = heap_counters_total();
  std::thread(work).join();
  HeapCounters b = heap_counters_total();
  return {b.pages_new - a.pages_new, b.pages_adopted - a.pages_adopted, b.pages_pooled};
}

TEST(Tcache, HeapPoolHandsAnExitedThreadsEmptyPagesToTheNextThread) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // re-exec: the child reads the gate afresh
  for (const char* mb : {"32", "0"}) {
    setenv("HAKMEM_HEAP_POOL_MB", mb, 1);
    bool pooled = mb[0] != '0';
    EXPECT_EXIT(
        {
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
        },
        testing::ExitedWithCode(0), "")
        << "HAKMEM_HEAP_POOL_MB=" << mb;
  }
  unsetenv("HAKMEM_HEAP_POOL_MB");
}

// HAKMEM_BORROW: realloc's new block, when its refill would carve never-used blocks, is a free
// block of a larger class from the thread's bins instead; a plain malloc never borrows.
TEST(Tcache, ReallocBorrowsALargerClassBlockInsteadOfCarving) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // re-exec: the child reads the gate afresh
  for (const char* k : {"2", "0"}) {
    setenv("HAKMEM_BORROW", k, 1);
    bool on = k[0] != '0';
    EXPECT_EXIT(
        {
          std::set<void*> freed;  // four free blocks of the class above 3072 (3584) in the bin
          void* v[4];
          for (void*& p : v) p = hm_malloc(3500);
          for (void* p : v) {
            hm_free(p);
            freed.insert(p);
          }
          char* p = static_cast<char*>(hm_malloc(1500));
          std::memset(p, 0x5a, 1500);
          char* q = static_cast<char*>(hm_realloc(p, 3000));  // class 3072: no block, would carve
          if ((freed.count(q) != 0) != on) _exit(3);
          if (hm_malloc_usable_size(q) != (on ? 3584u : 3072u)) _exit(4);
          for (int i = 0; i < 1500; ++i)
            if (q[i] != 0x5a) _exit(5);
          void* m = hm_malloc(3000);  // a plain malloc carves its own class
          if (freed.count(m) != 0 || hm_malloc_usable_size(m) != 3072) _exit(6);
          hm_free(q);  // back to its own class's bin
          if (on && hm_malloc(3500) != q) _exit(7);
          hm_check_result r;
          _exit(hm_check_all(2, &r) == 0 ? 0 : 8);
        },
        testing::ExitedWithCode(0), "")
        << "HAKMEM_BORROW=" << k;
  }
  unsetenv("HAKMEM_BORROW");
}

}  // namespace
}  // namespace hm
