#include "tcache/tcache.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <thread>
#include <algorithm>
#include <vector>

#include "config/config.h"
#include "each_gate_value.h"
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

// HAKMEM_TCACHE_KB: a bin's bound is HAKMEM_TCACHE_KB over the class size, at least 64 and at most
// HAKMEM_TCACHE_MAX: small classes get many blocks, large ones 64.
TEST(Tcache, BinBoundsFollowTheClassSize) {
  hm_free(hm_malloc(64));
  Heap* h = heap_get();
  ASSERT_TRUE(h->real);
  const size_t budget = static_cast<size_t>(config().tcache_kb) << 10;
  for (size_t size : {size_t{16}, size_t{64}, size_t{1024}, size_t{4096}, size_t{16384}, size_t{65536}, kMaxSmall}) {
    unsigned cls = size_to_class(size);
    size_t want = static_cast<size_t>(config().tcache_max);
    if (budget) want = std::min(want, std::max<size_t>(64, budget / class_to_size(cls)));
    EXPECT_EQ(slow_bin(h, cls).bound, want) << size;
  }
  if (budget == (size_t{64} << 10) && config().tcache_max == 256) {  // the defaults
    EXPECT_EQ(slow_bin(h, size_to_class(64)).bound, 256u);
    EXPECT_EQ(slow_bin(h, size_to_class(512)).bound, 128u);
    EXPECT_EQ(slow_bin(h, size_to_class(2048)).bound, 64u);
    EXPECT_EQ(slow_bin(h, size_to_class(kMaxSmall)).bound, 64u);
  }
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


// One block of each size from 16 to 1024 bytes, freed again.
void one_of_each_small_size() {
  std::vector<void*> v;
  for (size_t n = 16; n <= 1024; n += 16) v.push_back(hm_malloc(n));
  for (void* p : v) hm_free(p);
}

// An exiting thread's heap either waits in the pool whole (HAKMEM_WARM_HEAP=1: its pages stay
// its own) or flushes and abandons the pages whose blocks live on; either way those blocks stay
// usable, and their frees from another thread reach the pages.
TEST(Tcache, ExitedThreadLeavesNoHeapAndItsLiveBlocksStayUsable) {
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
TEST(Tcache, WarmHeapSpareTheNextThreadItsRefills) {
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

TEST(Tcache, HeapPoolHandsAnExitedThreadsEmptyPagesToTheNextThread) {
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

// HAKMEM_BORROW: realloc's new block, when its refill would carve never-used blocks, is a free
// block of a larger class from the thread's bins instead; a plain malloc never borrows.
TEST(Tcache, ReallocBorrowsALargerClassBlockInsteadOfCarving) {
  each_gate_value("HAKMEM_BORROW", {"2", "0"}, [](const char* k) {
    bool on = k[0] != '0';
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
  });
}

}  // namespace
}  // namespace hm
