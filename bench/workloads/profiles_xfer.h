// Producer/consumer hand-off: blocks allocated by one thread and freed by another.
//
//   xfer:S    one producer, one consumer. The producer mallocs blocks of S bytes
//             (16, 64, 256), fills each (a message being written) and hands
//             them to the consumer in batches of 64 through a bounded queue
//             (mutex and condition variables, at most 16 batches in flight, so a
//             fast producer waits instead of piling up memory). The consumer
//             reads each block's first and last byte and frees it: every free
//             is a free of another thread's block. Stands for pipelines and
//             message-passing servers (a network thread allocating requests
//             that workers consume, a logger thread freeing records).
//   xfer2:S   as xfer:S with two producers feeding one consumer (2:1), the shape
//             of a fan-in stage; three threads share the machine's two cores.
// `iters` is the number of blocks over all producers; an op is one malloc or
// one free, so blocks/s is half of ops/s. Default 10M blocks.
// Each thread is pinned: thread k (the consumer first, then the producers) to the
// k-th CPU of the process's affinity set, round robin. Left to the scheduler, the
// two threads of xfer sometimes shared one CPU, taking turns through the queue with
// no cross-core traffic, and the same binary gave 36M or 160M ops/s from run to run
// (CPU time equal to wall time in the fast runs): the profile measured where the
// threads landed. Pinned, a producer and its consumer run side by side on their own
// CPUs, as a pipeline's stages do.
#pragma once

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "measure.h"
#include "prng.h"

namespace hmb {

// A bounded multi-producer queue of pointer batches; the storage is fixed, so
// the queue itself never calls the allocator under test.
class XferQueue {
 public:
  static constexpr size_t kBatch = 64, kCap = 16;
  struct Batch {
    uint32_t n = 0;
    void* p[kBatch];
  };
  explicit XferQueue(unsigned producers) : producers_left_(producers) {}
  void push(const Batch& b) {
    std::unique_lock<std::mutex> g(m_);
    not_full_.wait(g, [&] { return count_ < kCap; });
    ring_[(head_ + count_) % kCap] = b;
    ++count_;
    g.unlock();
    not_empty_.notify_one();
  }
  // False once every producer is done and the queue is empty.
  bool pop(Batch& b) {
    std::unique_lock<std::mutex> g(m_);
    not_empty_.wait(g, [&] { return count_ > 0 || producers_left_ == 0; });
    if (count_ == 0) return false;
    b = ring_[head_];
    head_ = (head_ + 1) % kCap;
    --count_;
    g.unlock();
    not_full_.notify_all();
    return true;
  }
  void producer_done() {
    {
      std::lock_guard<std::mutex> g(m_);
      --producers_left_;
    }
    not_empty_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable not_full_, not_empty_;
  Batch ring_[kCap];
  size_t head_ = 0, count_ = 0;
  unsigned producers_left_;
};

// Pins the calling thread to the k-th CPU (round robin) of the process's affinity set.
inline void pin_to_cpu(unsigned k) {
  cpu_set_t all;
  if (sched_getaffinity(0, sizeof all, &all) != 0) return;
  unsigned n = static_cast<unsigned>(CPU_COUNT(&all)), seen = 0;
  if (n == 0) return;
  for (unsigned c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &all) || seen++ != k % n) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(c, &one);
    pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    return;
  }
}

template <class A>
Result run_xfer(uint64_t iters, uint64_t seed, uint32_t size, unsigned producers, unsigned consumers) {
  XferQueue q(producers);
  std::atomic<uint64_t> mallocs{0}, frees{0}, sum{0};
  std::atomic<bool> failed{false};
  const uint64_t per = iters / producers;
  auto produce = [&](unsigned id) {
    pin_to_cpu(consumers + id);
    Rng r(seed + id);
    XferQueue::Batch b;
    uint64_t made = 0;
    for (uint64_t i = 0; i < per; ++i) {
      void* p = A::malloc(size);
      if (!p) { failed = true; break; }
      std::memset(p, static_cast<int>(r.next() & 0xff), size);
      ++made;
      b.p[b.n++] = p;
      if (b.n == XferQueue::kBatch) q.push(b), b.n = 0;
    }
    if (b.n) q.push(b);
    mallocs += made;
    q.producer_done();
  };
  auto consume = [&](unsigned id) {
    pin_to_cpu(id);
    XferQueue::Batch b;
    uint64_t freed = 0, s = 0;
    while (q.pop(b))
      for (uint32_t k = 0; k < b.n; ++k) {
        auto* c = static_cast<unsigned char*>(b.p[k]);
        s += c[0] + c[size - 1];
        A::free(c);
        ++freed;
      }
    frees += freed;
    sum += s;
  };
  Result res;
  Timer t;
  std::vector<std::thread> pool;
  for (unsigned c = 0; c < consumers; ++c) pool.emplace_back(consume, c);
  for (unsigned id = 0; id < producers; ++id) pool.emplace_back(produce, id);
  for (auto& th : pool) th.join();
  t.stop(res);
  res.ops = mallocs + frees;
  if (failed) res.error = "malloc returned null";
  else if (mallocs != frees) res.error = "a handed-off block was not freed";
  return res;
}

}  // namespace hmb
