// HAKMEM_REMOTE_BATCH (tcache box): a flush groups the blocks of other threads' pages by
// page, one remote push per page. The gate is read at start-up, so each case runs in a
// re-executed child with the gate in its environment and exits 0 only if it holds.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "hakmem/check.h"
#include "hakmem/hakmem.h"
#include "tcache/tcache.h"

namespace {

// The owner (this thread) allocates blocks of several classes and fills them; two threads
// free disjoint halves and exit (their bins flush); the owner then takes every block back
// and the whole heap passes the full invariant walk. Returns the remote traffic.
hm::HeapCounters cross_thread_round(int gate) {
  constexpr int kBlocks = 6000;
  std::vector<unsigned char*> v;
  for (int i = 0; i < kBlocks; ++i) {
    size_t n = 16 + static_cast<size_t>(i % 7) * 48;
    auto* p = static_cast<unsigned char*>(hm_malloc(n));
    std::memset(p, i & 0xff, n);
    v.push_back(p);
  }
  hm::HeapCounters before = hm::heap_counters_total();
  auto worker = [&](int part) {
    for (int i = part; i < kBlocks; i += 2) {
      size_t n = 16 + static_cast<size_t>(i % 7) * 48;
      for (size_t k = 0; k < n; ++k)
        if (v[static_cast<size_t>(i)][k] != (i & 0xff)) {
          std::fprintf(stderr, "block %d lost its contents (gate %d)\n", i, gate);
          _exit(3);
        }
      hm_free(v[static_cast<size_t>(i)]);
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  hm::HeapCounters after = hm::heap_counters_total();
  // Every block comes back to the owner: allocate as many again, then flush everything.
  std::vector<void*> w;
  for (int i = 0; i < kBlocks; ++i) w.push_back(hm_malloc(16 + static_cast<size_t>(i % 7) * 48));
  for (void* p : w) hm_free(p);
  hm_thread_flush();
  hm_check_result r;
  if (hm_check_all(2, &r) != 0) {
    std::fprintf(stderr, "%s %s: expected %s found %s\n", r.box, r.id, r.expected, r.found);
    _exit(4);
  }
  hm::HeapCounters d{};
  d.remote_flushed = after.remote_flushed - before.remote_flushed;
  d.remote_pushes = after.remote_pushes - before.remote_pushes;
  return d;
}

struct RemoteBatchTest : ::testing::TestWithParam<int> {
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");  // re-exec: the child reads the gate afresh
    setenv("HAKMEM_REMOTE_BATCH", GetParam() ? "1" : "0", 1);
    setenv("HAKMEM_TRANSFER_KB", "0", 1);  // every flushed block goes to its page
  }
  void TearDown() override {
    unsetenv("HAKMEM_REMOTE_BATCH");
    unsetenv("HAKMEM_TRANSFER_KB");
  }
};

TEST_P(RemoteBatchTest, EveryBlockComesBackAndPushesMatchTheGate) {
  int gate = GetParam();
  EXPECT_EXIT(
      {
        hm::HeapCounters d = cross_thread_round(gate);
        if (d.remote_flushed < 5000) _exit(5);  // nearly every block went back remotely
        // Off: one push per block. On: blocks of one page share a push (a page holds
        // dozens of these blocks, so far fewer pushes than blocks).
        if (gate == 0 && d.remote_pushes != d.remote_flushed) _exit(6);
        if (gate == 1 && d.remote_pushes * 4 > d.remote_flushed) _exit(7);
        _exit(0);
      },
      testing::ExitedWithCode(0), "");
}

INSTANTIATE_TEST_SUITE_P(Gate, RemoteBatchTest, ::testing::Values(0, 1),
                         [](const auto& info) { return info.param ? std::string("on") : std::string("off"); });

}  // namespace
