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

// A bin never holds more than its bound. Without a spare (HAKMEM_TCACHE_SPARE=0) a full bin keeps
// its newest half; with one, the full bin becomes the spare whole, and only a full bin meeting a
// full spare hands blocks on: a run of 1000 frees ends with the last 1000 % bound blocks in the
// bin and a full spare, its list as long as the bound.
TEST(Tcache, BinsStayWithinTheirBoundAndHandOnWhenFull) {
  each_gate_value("HAKMEM_TCACHE_SPARE", {"1", "0"}, [](const char* k) {
    const bool spare = k[0] == '1';
    unsigned cls = size_to_class(64);  // a class small enough that HAKMEM_TCACHE_MAX binds, not HAKMEM_TCACHE_KB
    std::vector<void*> v;
    for (int i = 0; i < 1000; ++i) v.push_back(hm_malloc(64));
    ThreadCache* h = tcache_get();
    if (!h->heap.real) _exit(3);
    const uint32_t bound = h->bins[cls].bound;
    const auto max = static_cast<uint32_t>(config().tcache_max);
    if (bound != (spare ? (max + 1) / 2 : max)) _exit(4);
    hm_thread_flush();  // the mallocs' leftovers gone: the bin and its spare start empty
    const uint64_t flushes = h->heap.counters.flushes, swaps = h->heap.counters.spare_swaps;
    for (void* p : v) {
      hm_free(p);
      if (h->bins[cls].count() > bound) _exit(5);
    }
    if (h->heap.counters.flushes <= flushes) _exit(6);
    if ((h->heap.counters.spare_swaps > swaps) != spare) _exit(7);
    unsigned n = 0;
    for (Block* b = h->bins[cls].head; b; b = b->next) ++n;
    if (n != h->bins[cls].count()) _exit(8);
    unsigned m = 0;
    for (Block* b = h->spare[cls]; b; b = b->next) ++m;
    if (m != tcache_spare_count(h, cls) || m != (spare ? bound : 0)) _exit(9);
    // 1000 frees: the bin filled and went aside (1000 / bound) times, the last 1000 % bound in the
    // bin; without a spare, the newest half of each full bin stayed.
    if (spare && n != 1000 % bound) _exit(10);
    hm_check_result r;
    _exit(hm_check_all(2, &r) == 0 ? 0 : 11);
  });
}

// A consumer's full bin (it frees another thread's blocks) is set aside too. A class whose bound
// is under kSpareMinBound never has a spare.
TEST(Tcache, AConsumersFullBinIsSetAsideToo) {
  each_gate_value("HAKMEM_TCACHE_SPARE", {"1"}, [](const char*) {
    hm_free(hm_malloc(16));  // this thread's heap first, so the helper's waits in the pool with its pages
    for (size_t size : {size_t{64}, size_t{2048}}) {
      const unsigned cls = size_to_class(size);
      std::vector<void*> theirs(600);
      std::thread([&] {
        for (void*& p : theirs) p = hm_malloc(size);
      }).join();
      hm_thread_flush();
      ThreadCache* h = tcache_get();
      if (h->has_spare[cls] != (size == 64)) _exit(3);
      const uint64_t swaps = h->heap.counters.spare_swaps;
      for (void* p : theirs) hm_free(p);
      if ((h->heap.counters.spare_swaps > swaps) != (size == 64) || (h->spare[cls] != nullptr) != (size == 64)) _exit(4);
      if (h->bins[cls].count() > h->bins[cls].bound) _exit(5);
      hm_thread_flush();
    }
    hm_check_result r;
    _exit(hm_check_all(2, &r) == 0 ? 0 : 9);
  });
}

// A consumer's full bin has every block's cookie checked before it takes the place of a full
// spare: a block of another thread's page written after its free is reported at that overflow.
TEST(TcacheDeathTest, AConsumersBinIsCheckedBeforeItReplacesAFullSpare) {
  if (!config().tcache_spare) GTEST_SKIP() << "HAKMEM_TCACHE_SPARE=0";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        hm_free(hm_malloc(16));  // this thread's heap first, so the helper's waits in the pool with its pages
        std::vector<void*> theirs(600);
        std::thread([&] {
          for (void*& p : theirs) p = hm_malloc(64);
        }).join();
        hm_thread_flush();
        const uint32_t bound = tcache_get()->bins[size_to_class(64)].bound;
        for (uint32_t i = 0; i < 2 * bound; ++i) hm_free(theirs[i]);  // a full spare, a full bin
        static_cast<Block*>(theirs[bound + bound / 2])->cookie ^= 0x10;  // a write after free
        hm_free(theirs[2 * bound]);  // the spare goes on, the bin is checked
      },
      "double free or write after free");
}

// The checker walks a spare as it walks a bin (INV-TCACHE-2): a spare one block short of the
// bound, or holding a block of another class, is reported; the intact spare is not.
TEST(Tcache, CheckerReportsABrokenSpare) {
  each_gate_value("HAKMEM_TCACHE_SPARE", {"1"}, [](const char*) {
    const unsigned cls = size_to_class(64);
    std::vector<void*> v;
    for (int i = 0; i < 600; ++i) v.push_back(hm_malloc(64));
    hm_thread_flush();
    ThreadCache* h = tcache_get();
    for (void* p : v) hm_free(p);  // 600 frees: a full spare, the rest in the bin
    Block* spare = h->spare[cls];
    if (!spare || tcache_spare_count(h, cls) != h->bins[cls].bound) _exit(3);
    hm_check_result r;
    if (hm_check_box("tcache", 2, &r) != 0) _exit(4);
    h->spare[cls] = spare->next;  // one block short
    if (hm_check_box("tcache", 2, &r) == 0 || std::strcmp(r.id, "INV-TCACHE-2") != 0) _exit(5);
    h->spare[cls] = spare;
    Block* second = spare->next;
    void* alien = hm_malloc(1000);  // a live block of another class, made to look free
    auto* a = static_cast<Block*>(alien);
    a->next = second->next;
    a->cookie = free_cookie(reinterpret_cast<uintptr_t>(a));
    spare->next = a;  // in place of the second block
    if (hm_check_box("tcache", 2, &r) == 0 || std::strcmp(r.id, "INV-TCACHE-2") != 0) _exit(6);
    spare->next = second;
    a->cookie = 0;
    hm_free(alien);
    _exit(hm_check_all(2, &r) == 0 ? 0 : 7);
  });
}

// HAKMEM_TCACHE_KB: a class's bound is HAKMEM_TCACHE_KB over the class size, at least 64 and at
// most HAKMEM_TCACHE_MAX: small classes get many blocks, large ones 64. The bin has all of it, or
// half (rounded up) with a spare (HAKMEM_TCACHE_SPARE).
TEST(Tcache, BinBoundsFollowTheClassSize) {
  hm_free(hm_malloc(64));
  ThreadCache* h = tcache_get();
  ASSERT_TRUE(h->heap.real);
  const size_t budget = static_cast<size_t>(config().tcache_kb) << 10;
  for (size_t size : {size_t{16}, size_t{64}, size_t{1024}, size_t{4096}, size_t{16384}, size_t{65536}, kMaxSmall}) {
    unsigned cls = size_to_class(size);
    size_t want = static_cast<size_t>(config().tcache_max);
    if (budget) want = std::min(want, std::max<size_t>(64, budget / class_to_size(cls)));
    const bool split = config().tcache_spare && want >= kSpareMinBound;
    EXPECT_EQ(h->has_spare[cls], split) << size;
    EXPECT_EQ(slow_bin(h, cls).bound, split ? (want + 1) / 2 : want) << size;
  }
  if (budget == (size_t{64} << 10) && config().tcache_max == 512) {  // the defaults
    const uint32_t div = config().tcache_spare ? 2 : 1;  // up to 512 bytes
    EXPECT_EQ(slow_bin(h, size_to_class(16)).bound, 512u / div);
    EXPECT_EQ(slow_bin(h, size_to_class(64)).bound, 512u / div);
    EXPECT_EQ(slow_bin(h, size_to_class(256)).bound, 256u / div);
    EXPECT_EQ(slow_bin(h, size_to_class(512)).bound, 128u / div);
    EXPECT_EQ(slow_bin(h, size_to_class(2048)).bound, 64u);
    EXPECT_EQ(slow_bin(h, size_to_class(kMaxSmall)).bound, 64u);
  }
}

// HAKMEM_BIN_GROW: four overflows in a row of a class's bin with the thread's own blocks (a
// structure dropped whole) double its bound at the refill from beyond the thread that follows,
// and a flush puts it back; at 0 the bound never moves.
TEST(Tcache, OwnOverflowsInARowDoubleTheBoundAtTheNextRefill) {
  each_gate_value("HAKMEM_BIN_GROW", {"2", "0"}, [](const char* k) {
    const bool grow = k[0] == '2';
    const unsigned cls = size_to_class(64);
    hm_free(hm_malloc(64));
    ThreadCache* h = tcache_get();
    if (!h->heap.real || !h->has_spare[cls]) _exit(3);
    const uint32_t base = h->bins[cls].bound;
    std::vector<void*> v(5 * base);
    for (void*& p : v) p = hm_malloc(64);
    hm_thread_flush();
    for (void* p : v) hm_free(p);  // overflows after base, 2, 3 and 4 x base frees
    if (h->bins[cls].bound != base) _exit(4);  // nothing changes before a refill
    for (uint32_t i = 0; i <= 2 * base; ++i) v[i] = hm_malloc(64);  // the bin, the spare, then beyond
    if (h->bins[cls].bound != (grow ? 2 * base : base)) _exit(5);
    if (h->heap.counters.bins_grown != (grow ? 1u : 0u)) _exit(6);
    for (uint32_t i = 0; i <= 2 * base; ++i) {
      hm_free(v[i]);
      if (h->bins[cls].count() > h->bins[cls].bound) _exit(7);
    }
    hm_check_result r;
    if (hm_check_all(2, &r) != 0) _exit(8);
    hm_thread_flush();
    _exit(h->bins[cls].bound == base ? 0 : 9);
  });
}

// HAKMEM_BIN_GROW: a bin that overflows and refills by turns, about its bound, never grows, and a
// grown bin that overflows with another thread's blocks (a consumer's) is back at its bound after
// the next refill from beyond the thread.
TEST(Tcache, AWanderingOrAConsumersBinKeepsItsBound) {
  each_gate_value("HAKMEM_BIN_GROW", {"2"}, [](const char*) {
    const unsigned cls = size_to_class(64);
    hm_free(hm_malloc(16));  // this thread's heap first, so the helper's waits in the pool with its pages
    ThreadCache* h = tcache_get();
    if (!h->heap.real) _exit(3);
    const uint32_t base = h->bins[cls].bound;
    std::vector<void*> theirs(3 * base);
    std::thread([&] {
      for (void*& p : theirs) p = hm_malloc(64);
    }).join();
    std::vector<void*> v(5 * base);
    for (void*& p : v) p = hm_malloc(64);
    hm_thread_flush();
    for (int round = 0; round < 8; ++round) {  // one overflow, then a refill: no run of four
      for (uint32_t i = 0; i <= base; ++i) hm_free(v[i]);
      for (uint32_t i = 0; i <= base; ++i) v[i] = hm_malloc(64);
    }
    if (h->bins[cls].bound != base || h->heap.counters.bins_grown != 0) _exit(4);
    for (void* p : v) hm_free(p);  // now four in a row
    for (uint32_t i = 0; i <= 2 * base; ++i) v[i] = hm_malloc(64);
    if (h->bins[cls].bound != 2 * base) _exit(5);
    if (page_of(reinterpret_cast<uintptr_t>(theirs[0]))->owner.load() == &h->heap) _exit(6);
    for (void* p : theirs) hm_free(p);  // the grown bin overflows with the helper's blocks
    for (uint32_t i = 0; i <= 4 * base && h->bins[cls].bound != base; ++i) (void)hm_malloc(64);
    if (h->bins[cls].bound != base) _exit(7);
    hm_check_result r;
    _exit(hm_check_all(2, &r) == 0 ? 0 : 8);
  });
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
    EXPECT_EQ(h->spare[c], nullptr) << c;
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

// HAKMEM_CARVE_RAMP: a class whose refills the carve limit (HAKMEM_CARVE_KB, 2 KiB: one block of
// 4 KiB) keeps cutting short doubles its limit every kCarveCuts such refills, up to the gate's
// count of doublings, and a flush puts it back; at 0 every refill of a fresh page carves one block.
TEST(Tcache, RefillsCutShortByTheCarveLimitDoubleIt) {
  each_gate_value("HAKMEM_CARVE_RAMP", {"3", "0"}, [](const char* k) {
    const unsigned ramp = static_cast<unsigned>(k[0] - '0');
    hm_free(hm_malloc(16));
    ThreadCache* h = tcache_get();
    const unsigned cls = size_to_class(4096);
    std::vector<void*> v;
    uint64_t refills = h->heap.counters.refills;
    for (unsigned i = 0; i < 32; ++i) v.push_back(hm_malloc(4096));
    // Two fresh pages of 16 blocks, four cut refills a doubling: 1 1 1 1, 2 2 2 2, 4 (the first page
    // full), 4 4 4, then the second page's last 4 under a limit of 8: 13 refills; 32 without.
    static_assert(kCarveCuts == 4);
    if (page_of(reinterpret_cast<uintptr_t>(v[0]))->capacity != 16) _exit(8);
    if (h->heap.counters.refills - refills != (ramp ? 13u : 32u)) _exit(3);
    if (h->carve_step[cls] != ramp) _exit(4);
    if (h->bins[cls].count() != 0) _exit(5);
    for (void* p : v) hm_free(p);
    hm_thread_flush();
    if (h->carve_step[cls] != 0) _exit(6);
    hm_check_result r;
    _exit(hm_check_all(2, &r) == 0 ? 0 : 7);
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
    if (h->bins[y].count() + tcache_spare_count(h, y) < kRefills) _exit(6);  // touched between passes: kept
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
