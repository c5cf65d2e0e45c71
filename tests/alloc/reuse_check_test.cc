// HAKMEM_REUSE_CHECK (front box, with the page box's two cookies): with the gate on, free
// writes a block's cookie without reading it, and whoever takes a free block checks the
// cookie first -- malloc's pop, a flush, a refill from the page, a remote collect. A double
// free is then reported before the block is handed out a second time; with the gate off (or
// HAKMEM_CHECK set) it is reported at the second free. The gate is read at start-up, so every
// case runs in a re-executed child with the gate in its environment.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "hakmem/hakmem.h"

namespace {

constexpr char kStale[] = "hakmem: double free or write after free of 0x[0-9a-f]+ \\(box page, INV-PAGE-4\\)";
constexpr char kAtFree[] = "hakmem: double free of 0x[0-9a-f]+ \\(box page, INV-PAGE-4\\)";

struct ReuseCheck : ::testing::Test {
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");  // re-exec: the child reads the gate afresh
    setenv("HAKMEM_REUSE_CHECK", "1", 1);
  }
  void TearDown() override {
    unsetenv("HAKMEM_REUSE_CHECK");
    unsetenv("HAKMEM_CHECK");
    unsetenv("HAKMEM_EXIT_SCAN");
  }
};

// The second free returns; the block comes back once, and the next pop reports it. (The
// misuse tests cover the default setting: a block back on its page, other threads.)
TEST_F(ReuseCheck, DoubleFreeIsReportedBeforeTheBlockIsHandedOutTwice) {
  for (size_t n : {size_t{64}, size_t{8} << 10}) {
    EXPECT_EXIT(
        {
          void* p = hm_malloc(n);
          hm_free(p);
          hm_free(p);
          if (hm_malloc(n) != p) _exit(3);  // the first hand-out is the block itself
          hm_malloc(n);
          _exit(0);
        },
        testing::KilledBySignal(SIGABRT), kStale)
        << n;
  }
}

// A double free leaves the block twice in its bin (a cycle): the flush that returns the bin to
// the page meets it a second time with its page cookie and reports it, instead of counting it
// free twice (which could free the page under a live block).
TEST_F(ReuseCheck, BlockTwiceInAFlushedChainIsReportedNotCountedTwice) {
  EXPECT_EXIT(
      {
        void* keep = hm_malloc(64);
        void* p = hm_malloc(64);
        (void)keep;
        hm_free(p);
        hm_free(p);
        hm_thread_flush();
        _exit(0);
      },
      testing::KilledBySignal(SIGABRT), kStale);
}

// A write into a freed block's cookie word is caught by the next malloc of its class, in the
// default build, before the link beside it is trusted.
TEST_F(ReuseCheck, WriteAfterFreeIsReportedAtTheNextMalloc) {
  EXPECT_EXIT(
      {
        char* p = static_cast<char*>(hm_malloc(48));
        hm_free(p);
        std::memset(p, 0x41, 16);
        hm_malloc(48);
        _exit(0);
      },
      testing::KilledBySignal(SIGABRT), kStale);
}

// Legitimate traffic never trips the check: blocks cycle through bins, flushes, pages, other
// threads and back.
TEST_F(ReuseCheck, CleanTrafficAcrossThreadsPasses) {
  EXPECT_EXIT(
      {
        std::vector<void*> v;
        for (int round = 0; round < 20; ++round) {
          for (int i = 0; i < 2000; ++i) v.push_back(hm_malloc(16 + (i * 37) % 2000));
          std::thread([&v] {
            for (size_t i = 0; i < v.size(); i += 2) hm_free(v[i]);
          }).join();
          for (size_t i = 1; i < v.size(); i += 2) hm_free(v[i]);
          v.clear();
          hm_thread_flush();
        }
        _exit(0);
      },
      testing::ExitedWithCode(0), "");
}

// With the gate off, or HAKMEM_CHECK set, free reads the cookie: the second free reports.
TEST_F(ReuseCheck, GateOffOrChecksOnReportAtTheSecondFree) {
  for (const char* env : {"HAKMEM_REUSE_CHECK", "HAKMEM_CHECK"}) {
    setenv(env, env == std::string("HAKMEM_CHECK") ? "1" : "0", 1);
    EXPECT_EXIT(
        {
          void* p = hm_malloc(64);
          hm_free(p);
          hm_free(p);
          _exit(0);
        },
        testing::KilledBySignal(SIGABRT), kAtFree)
        << env;
    unsetenv(env);
  }
}

// HAKMEM_EXIT_SCAN: a thread frees a block twice and exits, and its heap waits in the pool
// whole, bins and all. At 1 (the default) the thread's exit walks nothing and the walk at
// process exit reports the block; at 2 the thread's exit reports it, before the join returns;
// at 0 nothing does.
TEST_F(ReuseCheck, BlockFreedTwiceByAnExitedThreadIsReportedWhereTheGateSays) {
  auto twice_in_a_thread = [] {
    std::thread([] {
      void* p = hm_malloc(64);
      hm_free(p);
      hm_free(p);
    }).join();
    fputs("joined\n", stderr);
    exit(0);  // a normal exit: the process-exit walk runs
  };
  setenv("HAKMEM_EXIT_SCAN", "1", 1);
  EXPECT_EXIT(twice_in_a_thread(), testing::KilledBySignal(SIGABRT), std::string("joined\n") + kStale);
  setenv("HAKMEM_EXIT_SCAN", "2", 1);
  EXPECT_EXIT(twice_in_a_thread(), testing::KilledBySignal(SIGABRT), std::string("^") + kStale);
  setenv("HAKMEM_EXIT_SCAN", "0", 1);
  EXPECT_EXIT(twice_in_a_thread(), testing::ExitedWithCode(0), "^joined\n$");
}

}  // namespace
