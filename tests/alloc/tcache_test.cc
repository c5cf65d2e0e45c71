#include "tcache/inspect.h"

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
  unsigned cls = size_to_class(64);  // a class small enough that HAKMEM_TCACHE_MAX binds, not HAKMEM_TCACHE_KB
  std::vector<void*> v;
  for (int i = 0; i < 1000; ++i) v.push_back(hm_malloc(64));
  ThreadCache* h = tcache_get();
  ASSERT_TRUE(h->heap.real);
  uint32_t bound = h->bins[cls].bound;
  EXPECT_EQ(bound, static_cast<uint32_t>(config().tcache_max));
  uint64_t flushes = h->heap.counters.flushes;
  for (void* p : v) {
    hm_free(p);
    ASSERT_LE(h->bins[cls].count(), bound);
  }
  EXPECT_GT(h->heap.counters.flushes, flushes);
  unsigned n = 0;
  for (Block* b = h->bins[cls].head; b; b = b->next) ++n;
  EXPECT_EQ(n, h->bins[cls].count());
}

// HAKMEM_TCACHE_KB: a bin's bound is HAKMEM_TCACHE_KB over the class size, at least 64 and at most
// HAKMEM_TCACHE_MAX: small classes get many blocks, large ones 64.
TEST(Tcache, BinBoundsFollowTheClassSize) {
  hm_free(hm_malloc(64));
  ThreadCache* h = tcache_get();
  ASSERT_TRUE(h->heap.real);
  const size_t budget = static_cast<size_t>(config().tcache_kb) << 10;
  for (size_t size : {size_t{16}, size_t{64}, size_t{1024}, size_t{4096}, size_t{16384}, size_t{65536}, kMaxSmall}) {
    unsigned cls = size_to_class(size);
    size_t want = static_cast<size_t>(config().tcache_max);
    if (budget) want = std::min(want, std::max<size_t>(64, budget / class_to_size(cls)));
    EXPECT_EQ(slow_bin(h, cls).bound, want) << size;
  }
  if (budget == (size_t{64} << 10) && config().tcache_max == 512) {  // the defaults
    EXPECT_EQ(slow_bin(h, size_to_class(16)).bound, 512u);
    EXPECT_EQ(slow_bin(h, size_to_class(64)).bound, 512u);
    EXPECT_EQ(slow_bin(h, size_to_class(256)).bound, 256u);
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
  ThreadCache* h = tcache_get();
  for (unsigned c = 0; c < kClassCount; ++c) {
    EXPECT_EQ(h->bins[c].count(), 0u) << c;
    EXPECT_EQ(h->bins[c].head, nullptr) << c;
  }
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

// HAKMEM_BIN_DECAY_MS: a bin left untouched between two decay passes (at 0, one every 16
// refills of the thread) goes back to its pages, and its class's empty pages to the segment; a
// bin used in between keeps its blocks. At -1 nothing decays.
TEST(Tcache, UntouchedBinsDecayToTheirPages) {
  each_gate_value("HAKMEM_BIN_DECAY_MS", {"0", "-1"}, [](const char* k) {
    const bool on = k[0] == '0';
    hm_free(hm_malloc(16));
    ThreadCache* h = tcache_get();
    const unsigned x = size_to_class(64 << 10), y = size_to_class(16 << 10);
    constexpr size_t kRefills = 2 * kDecayRefills + 1;  // at least two passes
    void* xs[8];
    void* ys[kRefills + 7];
    for (void*& p : xs) p = hm_malloc(64 << 10);
    for (void*& p : ys) p = hm_malloc(16 << 10);
    for (void* p : xs) hm_free(p);
    if (h->bins[x].count() != 8) _exit(3);
    const HeapCounters before = h->heap.counters;
    // kRefills refills, each of a class not used yet (from 1088 bytes up), so at least two passes;
    // y's bin grows by one block between any two of them.
    std::vector<void*> fresh;
    for (unsigned c = size_to_class(1088); fresh.size() < kRefills; ++c) {
      if (c == x || c == y) continue;
      uint64_t refills = h->heap.counters.refills;
      fresh.push_back(hm_malloc(class_to_size(c)));
      if (h->heap.counters.refills != refills + 1) _exit(4);
      hm_free(ys[fresh.size() - 1]);
    }
    if (h->bins[x].count() != (on ? 0u : 8u)) _exit(5);  // untouched: back to the pages
    if (h->bins[y].count() < kRefills) _exit(6);                // touched between passes: kept
    if (on != (h->heap.counters.bins_decayed > before.bins_decayed)) _exit(7);
    if (on != (h->heap.counters.pages_freed > before.pages_freed)) _exit(8);  // x's page, empty
    for (void* p : fresh) hm_free(p);
    for (size_t i = kRefills; i < std::size(ys); ++i) hm_free(ys[i]);
    hm_check_result r;
    _exit(hm_check_all(2, &r) == 0 ? 0 : 9);
  });
}

}  // namespace
}  // namespace hm
