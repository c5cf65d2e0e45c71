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

#include "each_gate_value.h"
#include "hakmem/hakmem.h"
#include "stats/stats.h"
#include "tcache/inspect.h"

namespace {

#if defined(HAKMEM_TSAN)
constexpr bool kUnderTsan = true;
#else
constexpr bool kUnderTsan = false;
#endif

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
  // Not under ThreadSanitizer, whose shadow of the released memory and its own state stay resident
  // on their own schedule: the same binary read 7% of the peak when alone, 35% once beside other
  // tests (a fresh-clone CI run at 63410b7).
  if (kUnderTsan) return;
  EXPECT_LT(after - before, (peak - before) / 4) << "before " << before << " peak " << peak << " after " << after;
}

// Every block outlives the thread that made it and is freed later by the main thread, so the
// frees queue on pages no running thread owns: with HAKMEM_WARM_HEAP=1 the pages of heaps
// waiting in the pool, with 0 abandoned pages. hm_trim (malloc_trim) gives that memory back --
// waiting heaps collect their queues and free their empty pages (pages with live blocks go to
// running threads), abandoned pages whose blocks all came back are freed -- while live blocks
// keep their contents, and a second trim finds nothing left. Failures exit with the line.
TEST(Threads, TrimReleasesWhatExitedThreadsLeftBehind) {
  each_gate_value("HAKMEM_WARM_HEAP", {"1", "0"}, [](const char*) {
    auto expect = [](bool ok, int line) {
      if (!ok) _exit(line & 0xff);
    };
    hm_free(hm_malloc(16));  // this thread's heap, so it takes none an exiting thread leaves
    hm_trim(0);
    constexpr int kThreads = 4, kBlocks = 4000;  // ~4 MiB per thread
    std::vector<unsigned char*> blocks;
    std::mutex m;
    std::atomic<int> allocated{0};
    long before = rss_kb();
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t) {
      ts.emplace_back([&, t] {
        std::vector<unsigned char*> v;
        for (int i = 0; i < kBlocks; ++i) {
          auto* p = static_cast<unsigned char*>(hm_malloc(1000));
          std::memset(p, (t * 31 + i) & 0xff, 1000);
          v.push_back(p);
        }
        // Every thread holds its memory at once, so none starts on another's heap.
        allocated.fetch_add(1);
        while (allocated.load() < kThreads) std::this_thread::yield();
        std::lock_guard<std::mutex> g(m);
        blocks.insert(blocks.end(), v.begin(), v.end());
      });
    }
    for (auto& t : ts) t.join();
    std::vector<unsigned char*> kept;  // the first block of each thread stays live
    for (size_t k = 0; k < blocks.size(); ++k) {
      if (k % kBlocks == 0) kept.push_back(blocks[k]);
      else hm_free(blocks[k]);
    }
    long held = rss_kb();
    expect(held - before > 8 * 1024, __LINE__);  // the freed blocks' pages are still resident
    expect(hm_trim(0) == 1, __LINE__);
    long after = rss_kb();
    // (ThreadSanitizer keeps the shadow of the released memory and its threads' state resident.)
    expect(kUnderTsan || after - before < (held - before) / 4, __LINE__);
    expect(hm::stats_snapshot().abandoned_now == kThreads, __LINE__);  // the pages of the live blocks
    expect(hm_trim(0) == 0, __LINE__);  // nothing left to release
    for (unsigned char* p : kept)
      for (int j = 0; j < 1000; j += 111) expect(p[j] == p[0], __LINE__);
    for (unsigned char* p : kept) hm_free(p);
    std::thread([] { hm_free(hm_malloc(64)); }).join();
    _exit(0);
  });
}

// HAKMEM_TRIM=0: malloc_trim releases nothing and says so; the heap an exited thread left
// waiting keeps its pages for the next thread.
TEST(Threads, TrimOffReleasesNothing) {
  each_gate_value("HAKMEM_TRIM", {"0"}, [](const char*) {
    hm_free(hm_malloc(16));
    std::vector<void*> v;
    std::thread([&v] {
      for (int i = 0; i < 1000; ++i) v.push_back(hm_malloc(1000));
    }).join();
    for (void* p : v) hm_free(p);
    uint64_t pages = 0;
    auto count = [](hm::Heap* h, void* arg) {
      for (unsigned c = 0; c < hm::kClassCount; ++c) *static_cast<uint64_t*>(arg) += h->avail[c].count + h->full[c].count;
    };
    hm::heap_pool_for_each(count, &pages);
    if (pages == 0) _exit(2);
    if (hm_trim(0) != 0) _exit(3);
    uint64_t after = 0;
    hm::heap_pool_for_each(count, &after);
    _exit(after == pages ? 0 : 4);
  });
}

}  // namespace
