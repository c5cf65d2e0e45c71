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
//   pipe:S, pipe2:S  as xfer:S and xfer2:S, handing off through one ring per
//             producer whose waiting side polls (yielding its CPU) before it
//             sleeps, as low-latency pipelines do (packet processing, trading
//             systems, actor runtimes' mailboxes): the stages run at once, so
//             the consumer's frees meet the producer's mallocs on the same pages
//             while both are running. Through xfer's queue the faster stage
//             sleeps until a whole queue is ready, and the two mostly take turns.
//   mailbox:S as xfer:S, the producer pushing each block on its own into a deep
//             mutex-protected ring (4096 blocks) that the consumer drains 64 at a
//             time: a logger's or an actor's mailbox, a work queue fed item by
//             item. The producer runs ahead instead of waiting batch by batch, so
//             the profile measures the two stages' own speed more than who sleeps.
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

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "measure.h"
#include "pin.h"
#include "prng.h"
#include "xfer_queues.h"

namespace hmb {

// Queue: XferQueue (xfer) or PipeQueue (pipe), of xfer_queues.h.
template <class A, class Queue = XferQueue>
Result run_xfer(uint64_t iters, uint64_t seed, uint32_t size, unsigned producers) {
  if (producers == 0 || producers > Queue::kMaxProducers) {
    Result bad;
    bad.error = "xfer: 1 to the queue's kMaxProducers producers";
    return bad;
  }
  Queue q(producers);
  std::atomic<uint64_t> mallocs{0}, frees{0}, sum{0};
  std::atomic<bool> failed{false};
  const uint64_t per = iters / producers;
  auto produce = [&](unsigned id) {
    pin_to_cpu(1 + id);
    Rng r(seed + id);
    Batch b;
    uint64_t made = 0;
    for (uint64_t i = 0; i < per; ++i) {
      void* p = A::malloc(size);
      if (!p) { failed = true; break; }
      std::memset(p, static_cast<int>(r.next() & 0xff), size);
      ++made;
      if constexpr (Queue::kPerBlock) {
        q.push_one(p);
      } else {
        b.p[b.n++] = p;
        if (b.n == kBatch) q.push(id, b), b.n = 0;
      }
    }
    if constexpr (!Queue::kPerBlock) {
      if (b.n) q.push(id, b);
    }
    mallocs += made;
    q.producer_done();
  };
  auto consume = [&] {
    pin_to_cpu(0);
    Batch b;
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
  pool.emplace_back(consume);
  for (unsigned id = 0; id < producers; ++id) pool.emplace_back(produce, id);
  for (auto& th : pool) th.join();
  t.stop(res);
  res.ops = mallocs + frees;
  if (failed) res.error = "malloc returned null";
  else if (mallocs != frees) res.error = "a handed-off block was not freed";
  return res;
}

}  // namespace hmb
