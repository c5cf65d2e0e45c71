// Multi-threaded profiles. `threads` is HMB_THREADS (default 2); `iters` is
// the total iteration count over all threads. An op is one malloc or one free.
//
//   ring:P    `threads` threads in a ring, each with 256 private slots and an
//             inbox (mutex-protected, batches of 64 pointers). An empty slot
//             gets malloc(uniform[16,1024]); an occupied slot is freed locally,
//             or with probability P% handed to the next thread, which frees it
//             (a remote free) when it drains its inbox every 64 iterations.
//             An inbox holds at most 16 batches: a thread whose neighbour's
//             inbox is full drains its own and sleeps until there is room, and a
//             thread done early keeps draining until all are done, so no inbox
//             piles up a backlog (which would measure the scheduler and the
//             page-fault path, not the allocator). P is 0, 50 or 90. Default 10M
//             iterations.
//   larson    server-style: a shared array of threads*1000 slots pre-filled by
//             the main thread; 10 rounds, each starting `threads` fresh
//             threads. Every iteration picks a slot (90% in the thread's own
//             slice, 10% anywhere, atomic exchange), frees the block found
//             there and puts a new one of uniform[16,1024] bytes. Blocks
//             outlive the threads that made them. Default 10M iterations.
//   churn     short-lived threads, `threads` at a time: each does 256
//             iterations over 32 private slots (alloc into an empty slot,
//             free an occupied one, sizes uniform[16,1024]) and frees what it
//             still holds before exiting. Default 2M iterations (~7800 threads).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "measure.h"
#include "prng.h"

namespace hmb {

struct alignas(64) Inbox {
  std::mutex m;
  std::condition_variable room;  // signalled when the owner drains
  std::vector<void*> items;
};

template <class A>
Result run_ring(uint64_t iters, uint64_t seed, unsigned threads, unsigned remote_pct) {
  constexpr uint32_t kRingSlots = 256;
  constexpr size_t kBatch = 64;
  constexpr size_t kInboxCap = 16 * kBatch;
  std::vector<Inbox> inbox(threads);
  for (auto& box : inbox) box.items.reserve(kInboxCap);
  std::atomic<uint64_t> ops{0};
  std::atomic<bool> failed{false};
  std::atomic<unsigned> finished{0};  // threads past their loop (and their last shipment)
  uint64_t per = iters / threads;
  auto body = [&](unsigned id) {
    void* slots[kRingSlots] = {};
    std::vector<void*> out, in;
    out.reserve(kBatch);
    in.reserve(kInboxCap);
    Inbox& next = inbox[(id + 1) % threads];
    Rng r(seed + id);
    uint64_t n_ops = 0;
    auto drain = [&] {
      {
        std::lock_guard<std::mutex> g(inbox[id].m);
        in.swap(inbox[id].items);
      }
      inbox[id].room.notify_one();
      for (void* p : in) A::free(p);
      n_ops += in.size();
      in.clear();
    };
    auto fits = [&] { return next.items.size() + out.size() <= kInboxCap; };
    auto ship = [&] {
      for (;;) {
        {
          std::unique_lock<std::mutex> g(next.m);
          if (fits()) {
            next.items.insert(next.items.end(), out.begin(), out.end());
            break;
          }
        }
        drain();  // room for the thread before us, so the ring cannot deadlock
        // Sleep (not spin) until the neighbour drains: a waiting thread burns no CPU time, so
        // the cpu clock counts the allocator's work, not a descheduled neighbour.
        std::unique_lock<std::mutex> g(next.m);
        next.room.wait_for(g, std::chrono::milliseconds(1), fits);
      }
      out.clear();
    };
    for (uint64_t i = 0; i < per; ++i) {
      uint64_t x = r.next();
      uint32_t s = Rng::below(static_cast<uint32_t>(x), kRingSlots);
      uint32_t hi = static_cast<uint32_t>(x >> 32);
      if (slots[s]) {
        if (Rng::below(hi, 100) < remote_pct) {
          out.push_back(slots[s]);
          if (out.size() == kBatch) ship();
        } else {
          A::free(slots[s]);
          ++n_ops;
        }
        slots[s] = nullptr;
      } else {
        uint32_t n = 16 + ((hi >> 8) % 1009);
        void* p = A::malloc(n);
        if (!p) { failed = true; break; }
        touch(p, n, x);
        slots[s] = p;
        ++n_ops;
      }
      if ((i & 63) == 63) drain();
    }
    if (!out.empty()) ship();
    // A thread done early keeps draining until every thread has shipped its last batch, so
    // its inbox never piles up (the neighbour would then allocate fresh memory for blocks it
    // cannot reuse, and the run would measure that instead of the steady state).
    finished.fetch_add(1, std::memory_order_acq_rel);
    while (finished.load(std::memory_order_acquire) < threads) {
      drain();
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    drain();  // every block bound for this thread has been shipped
    for (void* p : slots)
      if (p) { A::free(p); ++n_ops; }
    ops += n_ops;
  };
  Result res;
  Timer t;
  std::vector<std::thread> pool;
  for (unsigned id = 0; id < threads; ++id) pool.emplace_back(body, id);
  for (auto& th : pool) th.join();
  t.stop(res);
  res.ops = ops;
  if (failed) res.error = "malloc returned null";
  return res;
}

template <class A>
Result run_larson(uint64_t iters, uint64_t seed, unsigned threads) {
  constexpr uint32_t kPerThread = 1000;
  constexpr unsigned kRounds = 10;
  const uint32_t total = threads * kPerThread;
  std::vector<std::atomic<void*>> slots(total);
  Rng fill(seed);
  for (auto& s : slots) {
    uint32_t n = fill.range(16, 1024);
    void* p = A::malloc(n);
    touch(p, n, n);
    s.store(p, std::memory_order_relaxed);
  }
  std::atomic<uint64_t> ops{0};
  std::atomic<bool> failed{false};
  uint64_t per = iters / (uint64_t{threads} * kRounds);
  auto body = [&](unsigned id, unsigned round) {
    Rng r(seed + 1 + round * 1000003ull + id);
    uint64_t n_ops = 0;
    for (uint64_t i = 0; i < per; ++i) {
      uint64_t x = r.next();
      uint32_t lo = static_cast<uint32_t>(x), hi = static_cast<uint32_t>(x >> 32);
      uint32_t s = (hi & 15) < 14 ? id * kPerThread + Rng::below(lo, kPerThread) : Rng::below(lo, total);
      uint32_t n = 16 + ((hi >> 4) % 1009);
      void* old = slots[s].exchange(nullptr, std::memory_order_acq_rel);
      if (old) { A::free(old); ++n_ops; }
      void* p = A::malloc(n);
      if (!p) { failed = true; break; }
      touch(p, n, x);
      ++n_ops;
      old = slots[s].exchange(p, std::memory_order_acq_rel);
      if (old) { A::free(old); ++n_ops; }
    }
    ops += n_ops;
  };
  Result res;
  Timer t;
  for (unsigned round = 0; round < kRounds && !failed; ++round) {
    std::vector<std::thread> pool;
    for (unsigned id = 0; id < threads; ++id) pool.emplace_back(body, id, round);
    for (auto& th : pool) th.join();
  }
  t.stop(res);
  res.ops = ops;
  for (auto& s : slots) A::free(s.load());
  if (failed) res.error = "malloc returned null";
  return res;
}

template <class A>
Result run_churn(uint64_t iters, uint64_t seed, unsigned threads) {
  constexpr uint64_t kPerThread = 256;
  constexpr uint32_t kChurnSlots = 32;
  uint64_t n_threads = iters / kPerThread;
  if (n_threads == 0) n_threads = 1;
  std::atomic<uint64_t> ops{0};
  std::atomic<bool> failed{false};
  auto body = [&](uint64_t id) {
    void* slots[kChurnSlots] = {};
    Rng r(seed + id);
    uint64_t n_ops = 0;
    for (uint64_t i = 0; i < kPerThread; ++i) {
      uint64_t x = r.next();
      uint32_t s = Rng::below(static_cast<uint32_t>(x), kChurnSlots);
      if (slots[s]) {
        A::free(slots[s]);
        slots[s] = nullptr;
      } else {
        uint32_t n = 16 + static_cast<uint32_t>((x >> 32) % 1009);
        void* p = A::malloc(n);
        if (!p) { failed = true; break; }
        touch(p, n, x);
        slots[s] = p;
      }
      ++n_ops;
    }
    for (void* p : slots)
      if (p) { A::free(p); ++n_ops; }
    ops += n_ops;
  };
  Result res;
  Timer t;
  for (uint64_t base = 0; base < n_threads && !failed; base += threads) {
    std::vector<std::thread> wave;
    for (uint64_t id = base; id < n_threads && id < base + threads; ++id) wave.emplace_back(body, id);
    for (auto& th : wave) th.join();
  }
  t.stop(res);
  res.ops = ops;
  if (failed) res.error = "malloc returned null";
  return res;
}

}  // namespace hmb
