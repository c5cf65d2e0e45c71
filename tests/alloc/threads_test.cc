// Whole-allocator behaviour across threads, fork and memory return.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hakmem/hakmem.h"
#include "stats/stats.h"

namespace {

long rss_kb() {
  std::ifstream f("/proc/self/statm");
  long size = 0, resident = 0;
  f >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

TEST(Threads, ThousandsOfShortLivedThreads) {
  for (int round = 0; round < 40; ++round) {
    std::vector<std::thread> ts;
    for (int t = 0; t < 50; ++t) {
      ts.emplace_back([t] {
        std::vector<void*> v;
        for (int i = 0; i < 200; ++i) v.push_back(hm_malloc(static_cast<size_t>(16 + (i * 37 + t) % 3000)));
        for (void* p : v) hm_free(p);
      });
    }
    for (auto& t : ts) t.join();
  }
  hm::StatsSnapshot s = hm::stats_snapshot();
  EXPECT_LE(s.heaps_live, 4u);  // exited threads gave their heaps back
}

TEST(Threads, ProducerConsumerHandOffKeepsContents) {
  std::mutex m;
  std::vector<unsigned char*> q;
  std::atomic<bool> done{false};
  std::thread producer([&] {
    for (int i = 0; i < 200000; ++i) {
      size_t n = 16 + static_cast<size_t>(i % 900);
      auto* p = static_cast<unsigned char*>(hm_malloc(n));
      std::memset(p, i & 0xff, n);
      p[n - 1] = static_cast<unsigned char>(n & 0xff);
      std::lock_guard<std::mutex> g(m);
      q.push_back(p);
    }
    done = true;
  });
  std::thread consumer([&] {
    int i = 0;
    for (;;) {
      std::vector<unsigned char*> batch;
      {
        std::lock_guard<std::mutex> g(m);
        batch.swap(q);
      }
      if (batch.empty() && done) {
        std::lock_guard<std::mutex> g(m);
        if (q.empty()) break;
        continue;
      }
      for (auto* p : batch) {
        size_t n = 16 + static_cast<size_t>(i % 900);
        ASSERT_EQ(p[0], i & 0xff);
        ASSERT_EQ(p[n - 1], n & 0xff);
        hm_free(p);
        ++i;
      }
    }
    EXPECT_EQ(i, 200000);
  });
  producer.join();
  consumer.join();
}

TEST(Threads, ForkedChildCanAllocateWhileOtherThreadsHoldTheHeap) {
  std::atomic<bool> stop{false};
  std::thread busy([&] {
    while (!stop) hm_free(hm_malloc(300000 + static_cast<size_t>(rand() % 1000)));
  });
  for (int i = 0; i < 20; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      void* p = hm_malloc(500000);
      void* q = hm_malloc(64);
      hm_free(p);
      hm_free(q);
      _exit(p && q ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  }
  stop = true;
  busy.join();
}

TEST(Threads, MemoryGoesBackToTheOsAfterFrees) {
  hm_thread_flush();
  long before = rss_kb();
  std::vector<void*> v;
  for (int i = 0; i < 200000; ++i) v.push_back(hm_malloc(1000));  // ~200 MiB
  for (int i = 0; i < 100; ++i) v.push_back(hm_malloc(1 << 20));
  for (void* p : v) std::memset(p, 1, 1000);
  long peak = rss_kb();
  for (void* p : v) hm_free(p);
  hm_thread_flush();
  long after = rss_kb();
  EXPECT_GT(peak - before, 150 * 1024);
  EXPECT_LT(after - before, (peak - before) / 4) << "before " << before << " peak " << peak << " after " << after;
}

}  // namespace
