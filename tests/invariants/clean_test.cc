// Clean runs: many allocation patterns on several threads, with the check hooks at level 2
// in the debug build, must leave every invariant intact (hm_check_all(2) == 0) and every
// zero-gated counter at zero. Plus each counter is shown to count.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "check.h"
#include "hakmem/check.h"
#include "hakmem/hakmem.h"
#include "front/inspect.h"
#include "heap/heap.h"
#include "page/page.h"
#include "remote/remote.h"
#include "report/report.h"
#include "report/inspect.h"
#include "tcache/tcache.h"

namespace {

// Blocks handed from one thread to another, so that frees cross threads.
struct Handoff {
  std::mutex m;
  std::vector<void*> blocks;
};

void workload(unsigned seed, Handoff& out, Handoff& in, int rounds) {
  std::mt19937 rng(seed);
  std::vector<void*> mine;
  for (int r = 0; r < rounds; ++r) {
    unsigned op = rng() % 10;
    size_t n = (rng() % 4 == 0) ? rng() % (256 << 10) : rng() % 1100;
    if (op < 4 || mine.empty()) {
      void* p = (op == 0) ? hm_calloc(1, n) : hm_malloc(n);
      if (p) std::memset(p, 0x5a, n < 64 ? n : 64);
      if (p) mine.push_back(p);
    } else if (op < 6) {
      size_t i = rng() % mine.size();
      mine[i] = hm_realloc(mine[i], n + 1);
    } else if (op < 7) {
      void* p = nullptr;
      if (hm_posix_memalign(&p, size_t{64} << (rng() % 6), n) == 0) mine.push_back(p);
    } else if (op < 8) {
      std::lock_guard<std::mutex> g(out.m);
      out.blocks.push_back(mine.back());
      mine.pop_back();
    } else {
      size_t i = rng() % mine.size();
      hm_free(mine[i]);
      mine[i] = mine.back();
      mine.pop_back();
    }
    if (r % 64 == 0) {
      std::lock_guard<std::mutex> g(in.m);
      for (void* p : in.blocks) hm_free(p);
      in.blocks.clear();
    }
  }
  for (void* p : mine) hm_free(p);
}

TEST(CleanRun, ThreadsAtLevelTwoLeaveNoViolationAndNoNeverEvent) {
  hm::check::never_reset();
  hm::check::set_level(2);  // in the debug build every boundary crossing below is checked
  constexpr int kThreads = 4;
  std::vector<Handoff> ring(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back(workload, 1234u + t, std::ref(ring[t]), std::ref(ring[(t + 1) % kThreads]), 3000);
  for (auto& t : ts) t.join();
  for (auto& h : ring)
    for (void* p : h.blocks) hm_free(p);
  // A second round on this thread, then its own heap is checked too.
  Handoff a, b;
  workload(99, a, b, 2000);
  for (void* p : a.blocks) hm_free(p);
  hm::check::set_level(-1);

  hm_check_result r{};
  EXPECT_EQ(hm_check_all(2, &r), 0) << r.id << ": expected " << r.expected << ", found " << r.found;
  std::vector<hm_check_counter> c(hm_check_counters(nullptr, 0));
  ASSERT_FALSE(c.empty());
  hm_check_counters(c.data(), static_cast<int>(c.size()));
  for (const auto& k : c) EXPECT_EQ(k.value, 0u) << k.box << "." << k.name << ": " << k.text;
  EXPECT_EQ(hm_check_never_total(), 0u);
}

// Many threads, many short runs, at both levels: the hooks of one thread check pages that
// other threads carve, flush and collect at the same time, and must never report (a checker
// reading two words another thread writes one after the other gave false reports).
TEST(CleanRun, ManyShortThreadedRunsAtBothLevelsNeverReport) {
  for (int level : {1, 2}) {
    hm::check::set_level(level);
    for (int run = 0; run < 10; ++run) {
      constexpr int kThreads = 8;
      std::vector<Handoff> ring(kThreads);
      std::vector<std::thread> ts;
      for (int t = 0; t < kThreads; ++t)
        ts.emplace_back(workload, 77u * run + t, std::ref(ring[t]), std::ref(ring[(t + 1) % kThreads]), 400);
      for (auto& t : ts) t.join();
      for (auto& h : ring)
        for (void* p : h.blocks) hm_free(p);
    }
  }
  hm::check::set_level(-1);
  hm_check_result r{};
  EXPECT_EQ(hm_check_all(2, &r), 0) << r.id << ": expected " << r.expected << ", found " << r.found;
}

TEST(CleanRun, EveryBoxChecksCleanAtBothLevels) {
  std::vector<void*> keep;
  for (size_t n : {16u, 100u, 1000u, 5000u, 70000u, 300000u}) keep.push_back(hm_malloc(n));
  for (int level : {1, 2}) {
    for (const auto& b : hm::registry::kBoxes) {
      hm_check_result r{};
      EXPECT_EQ(hm_check_box(std::string(b.name).c_str(), level, &r), 0) << b.name << " level " << level;
    }
  }
  for (void* p : keep) hm_free(p);
}

// Each zero-gated counter is live: a forked child seeds its event and sees it counted.
// The level-2 walk of the thread's recent redzoned blocks skips one whose page went back to its
// segment: malloc_trim may have unmapped the whole segment since, and its memory with it. The
// freed span is made unreadable here to stand for that.
TEST(CleanRun, ARecentRedzonedBlockWhosePageWentBackIsSkipped) {
  std::thread([] {
    unsigned cls = hm::size_to_class(8192);  // a class no other block of this new thread uses
    size_t size = hm::class_to_size(cls);
    void* b = hm_malloc(size);
    ASSERT_NE(b, nullptr);
    (void)hm::redzone_wrap(b, size - hm::kRedHead - hm::kRedTail, size);
    auto blk = reinterpret_cast<uintptr_t>(b);
    hm_free(b);
    hm::tcache_flush_all();
    hm::heap_release_empty(hm::tcache_heap(), cls);
    ASSERT_EQ(hm::page_of(blk), nullptr) << "the block's page is still there";
    void* slice = reinterpret_cast<void*>(blk & ~(hm::kSliceSize - 1));
    ASSERT_EQ(mprotect(slice, hm::kSliceSize, PROT_NONE), 0);
    hm_check_result r{};
    int found = hm_check_box("front", 2, &r);
    ASSERT_EQ(mprotect(slice, hm::kSliceSize, PROT_READ | PROT_WRITE), 0);
    EXPECT_EQ(found, 0) << (r.id ? r.id : "");
  }).join();
}

// The same walk skips a recent redzoned block whose address is no block start any more: its span
// was carved again for a larger class and it lies inside another block, whose owner may write
// anything there, a copy of the old head included (and which, free, is poisoned past its first
// words in the ASan build). Stood for here by a wrap inside a live 8 KiB block whose tail the
// block's owner then overwrites.
TEST(CleanRun, ARecentRedzonedBlockInsideAnotherBlockIsSkipped) {
  std::thread([] {
    auto* q = static_cast<unsigned char*>(hm_malloc(8192));
    ASSERT_NE(q, nullptr);
    size_t small = hm::class_to_size(hm::size_to_class(100 + hm::kRedHead + hm::kRedTail));
    size_t n = small - hm::kRedHead - hm::kRedTail;
    unsigned char* inner = q + small;  // where a block of the smaller class started
    const hm::Page* pg = hm::page_of(reinterpret_cast<uintptr_t>(inner));
    ASSERT_TRUE(pg && !hm::page_is_block(pg, reinterpret_cast<uintptr_t>(inner)));
    auto* user = static_cast<unsigned char*>(hm::redzone_wrap(inner, n, small));
    std::memset(user + n, 0, hm::kRedTail);  // q's owner writes over the old wrap's tail
    hm_check_result r{};
    EXPECT_EQ(hm_check_box("front", 2, &r), 0) << (r.id ? r.id : "") << " " << (r.found ? r.found : "");
    hm_free(q);
  }).join();
}

TEST(NeverCounters, CountInTheDebugBuild) {
  if (!hm::report::kCheckHooks) GTEST_SKIP() << "counted by the check hooks of the debug build";
  GTEST_FLAG_SET(death_test_style, "fast");
  EXPECT_EXIT(
      {
        hm::check::never_reset();
        void* a = hm_malloc(64);
        void* b = hm_malloc(4000);  // another page
        auto* blk = static_cast<hm::Block*>(b);
        hm::remote_push(hm::page_of(reinterpret_cast<uintptr_t>(a)), blk, blk, 1);
        std::exit(hm::check::never_value(hm::check::Never::push_foreign_block) == 1 &&
                          hm_check_never_total() >= 1
                      ? 0
                      : 1);
      },
      testing::ExitedWithCode(0), "");
}

// The event ring of a box holds its last boundary crossings, oldest first.
TEST(EventRing, RecordsBoundaryCrossings) {
  if (!hm::report::kCheckHooks) GTEST_SKIP() << "recorded by the check hooks of the debug build";
  void* big = hm_malloc(5 << 20);
  hm_free(big);
  hm::report::EventRecord ev[hm::report::kEventRing];
  unsigned n = hm::report::recent_events(hm::registry::BoxId::large, ev, hm::report::kEventRing);
  ASSERT_GE(n, 2u);
  EXPECT_EQ(ev[n - 2].ev, hm::report::Event::large_alloc);
  EXPECT_EQ(ev[n - 1].ev, hm::report::Event::large_free);
  EXPECT_LT(ev[n - 2].seq, ev[n - 1].seq);
}

}  // namespace
