// Multi-threaded allocator stress in the spirit of the classic larson/threadtest/xmalloc
// benchmarks, as a correctness test: worker threads allocate blocks of mixed sizes, fill each
// with a pattern derived from its address and size, and either free them locally or hand them
// to other threads through a shared exchange, where another thread checks the pattern and frees
// them (remote frees). Workers are torn down and recreated every round, so heaps exit with
// blocks still live elsewhere (abandoned pages) and new threads adopt them. Between rounds, with
// the workers joined, the invariant checkers run. Runs under TSan in the tsan lane.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "hakmem/check.h"
#include "hakmem/hakmem.h"

namespace {

struct Item {
  void* p;
  size_t size;
};

uint8_t byte_for(const void* p, size_t size, size_t i) {
  auto u = reinterpret_cast<uintptr_t>(p);
  return static_cast<uint8_t>((u >> 4) ^ (u >> 12) ^ size ^ (i * 131));
}
void fill(void* p, size_t size) {
  auto* b = static_cast<uint8_t*>(p);
  size_t n = size < 256 ? size : 256;  // head, and the last bytes
  for (size_t i = 0; i < n; ++i) b[i] = byte_for(p, size, i);
  for (size_t i = size - n; i < size; ++i) b[i] = byte_for(p, size, i);
}
bool intact(const void* p, size_t size) {
  auto* b = static_cast<const uint8_t*>(p);
  size_t n = size < 256 ? size : 256;
  for (size_t i = 0; i < n; ++i)
    if (b[i] != byte_for(p, size, i)) return false;
  for (size_t i = size - n; i < size; ++i)
    if (b[i] != byte_for(p, size, i)) return false;
  return true;
}

struct Exchange {
  std::mutex mu;
  std::vector<Item> items;
};

size_t pick_size(std::mt19937_64& rng) {
  unsigned r = rng() % 100;
  if (r < 70) return 1 + rng() % 256;
  if (r < 95) return 257 + rng() % 4000;
  if (r < 99) return 4097 + rng() % 60000;
  return (128u << 10) + rng() % (1u << 20);
}

void worker(unsigned id, unsigned round, Exchange& ex, std::atomic<long>& corrupt, unsigned ops) {
  std::mt19937_64 rng(id * 7919 + round * 104729);
  std::vector<Item> mine;
  for (unsigned op = 0; op < ops; ++op) {
    unsigned r = rng() % 10;
    if (r < 5 || mine.empty()) {
      size_t n = pick_size(rng);
      void* p = hm_malloc(n);
      if (!p) {
        corrupt.fetch_add(1);
        continue;
      }
      fill(p, n);
      mine.push_back({p, n});
    } else if (r < 7) {  // local free
      size_t i = rng() % mine.size();
      if (!intact(mine[i].p, mine[i].size)) corrupt.fetch_add(1);
      hm_free(mine[i].p);
      mine[i] = mine.back();
      mine.pop_back();
    } else if (r < 9) {  // hand a block to another thread
      size_t i = rng() % mine.size();
      std::lock_guard<std::mutex> g(ex.mu);
      ex.items.push_back(mine[i]);
      mine[i] = mine.back();
      mine.pop_back();
    } else {  // take blocks handed over by others and free them here (remote frees)
      std::vector<Item> taken;
      {
        std::lock_guard<std::mutex> g(ex.mu);
        size_t k = std::min<size_t>(ex.items.size(), 1 + rng() % 32);
        taken.assign(ex.items.end() - static_cast<long>(k), ex.items.end());
        ex.items.resize(ex.items.size() - k);
      }
      for (const Item& it : taken) {
        if (!intact(it.p, it.size)) corrupt.fetch_add(1);
        hm_free(it.p);
      }
    }
  }
  // Leave part of this thread's blocks live past its exit: give them to the exchange.
  std::lock_guard<std::mutex> g(ex.mu);
  for (size_t i = 0; i < mine.size(); ++i) {
    if (i % 2) {
      ex.items.push_back(mine[i]);
    } else {
      if (!intact(mine[i].p, mine[i].size)) corrupt.fetch_add(1);
      hm_free(mine[i].p);
    }
  }
}

void check_invariants() {
  hm_check_result r{};
  int n = hm_check_all(2, &r);
  EXPECT_EQ(n, 0) << "invariant " << (r.id ? r.id : "?") << " broken in box " << (r.box ? r.box : "?") << ": "
                  << (r.text ? r.text : "");
}

TEST(Stress, ThreadsAllocateHandOffAndExit) {
  constexpr unsigned kThreads = 4, kRounds = 12, kOps = 4000;
  Exchange ex;
  std::atomic<long> corrupt{0};
  for (unsigned round = 0; round < kRounds; ++round) {
    std::vector<std::thread> ts;
    for (unsigned t = 0; t < kThreads; ++t) ts.emplace_back(worker, t, round, std::ref(ex), std::ref(corrupt), kOps);
    for (auto& t : ts) t.join();
    ASSERT_EQ(corrupt.load(), 0) << "round " << round;
    check_invariants();
  }
  // The main thread frees what the last round left in the exchange.
  for (const Item& it : ex.items) {
    EXPECT_TRUE(intact(it.p, it.size));
    hm_free(it.p);
  }
  ex.items.clear();
  hm_thread_flush();
  check_invariants();
  EXPECT_EQ(corrupt.load(), 0);
}

// Producer/consumer pairs: every block allocated by one thread is freed by the other.
TEST(Stress, ProducerConsumerRemoteFrees) {
  constexpr unsigned kPairs = 2, kBlocks = 20000;
  std::atomic<long> corrupt{0};
  std::vector<std::thread> ts;
  for (unsigned pr = 0; pr < kPairs; ++pr) {
    auto* ex = new Exchange;
    auto* done = new std::atomic<bool>(false);
    ts.emplace_back([ex, done, pr] {
      std::mt19937_64 rng(pr);
      for (unsigned i = 0; i < kBlocks; ++i) {
        size_t n = 1 + rng() % 1024;
        void* p = hm_malloc(n);
        fill(p, n);
        std::lock_guard<std::mutex> g(ex->mu);
        ex->items.push_back({p, n});
      }
      done->store(true);
    });
    ts.emplace_back([ex, done, &corrupt] {
      for (;;) {
        std::vector<Item> batch;
        bool finished = done->load();
        {
          std::lock_guard<std::mutex> g(ex->mu);
          batch.swap(ex->items);
        }
        for (const Item& it : batch) {
          if (!intact(it.p, it.size)) corrupt.fetch_add(1);
          hm_free(it.p);
        }
        if (finished && batch.empty()) break;
        std::this_thread::yield();
      }
      delete ex;
      delete done;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(corrupt.load(), 0);
  check_invariants();
}

}  // namespace
