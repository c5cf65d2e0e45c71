// I/O buffers of a thread pool.
//
//   buffers   2 x `threads` workers (a pool larger than the cores, as servers size
//             pools for threads that wait on I/O), each serving requests: a
//             request takes 1..4 buffers, fills each whole (a read filling
//             it) and keeps them while the next 7 requests of its worker start
//             (requests in flight), then reads a word of every 64-byte line of
//             each (the reply parsed) and frees them. Buffer sizes come in
//             phases: every 256 requests a worker draws a new range [b, 2b] with
//             b one of 2, 4, 8, 16, 32 or 64 KiB, so over a run each worker's
//             buffers move between size classes the way a server's payloads do
//             (a burst of uploads, then small replies). Stands for HTTP and RPC
//             servers, proxies, compression and TLS workers: their buffers are
//             set by the payload, not by the program. What it measures beside
//             ops/s is the peak resident memory: free buffers a thread keeps
//             cached per size class are memory no other class and no other
//             thread can use. An op is one malloc or one free. Default 200k
//             requests in all (about 0.4 s on two cores; a phase lasts about 2 ms).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "measure.h"
#include "prng.h"

namespace hmb {

inline constexpr uint32_t kBufInFlight = 8;   // requests a worker holds
inline constexpr uint32_t kBufPerRequest = 4;  // most buffers of one request
inline constexpr uint32_t kBufPhase = 256;    // requests per size range
inline constexpr uint32_t kBufMinShift = 11, kBufShifts = 6;  // b = 2 KiB << 0..5

// One word of every 64-byte line: what parsing a filled buffer reads.
inline uint64_t read_lines(const void* p, size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  uint64_t s = 0;
  for (size_t off = 0; off + 8 <= n; off += 64) {
    uint64_t w;
    std::memcpy(&w, b + off, 8);
    s += w;
  }
  return s;
}

template <class A>
struct BufferWorker {
  void* held[kBufInFlight][kBufPerRequest] = {};
  size_t sizes[kBufInFlight][kBufPerRequest] = {};
  uint64_t ops = 0, sum = 0;
  const char* error = nullptr;

  void serve(uint64_t requests, uint64_t seed) {
    Rng r(seed);
    size_t base = 0;
    for (uint64_t q = 0; q < requests && !error; ++q) {
      if (q % kBufPhase == 0) base = size_t{1} << (kBufMinShift + Rng::below(static_cast<uint32_t>(r.next()), kBufShifts));
      auto& slot = held[q % kBufInFlight];
      for (uint32_t i = 0; i < kBufPerRequest && slot[i]; ++i) {  // the reply is read, then freed
        sum += read_lines(slot[i], sizes[q % kBufInFlight][i]);
        A::free(slot[i]), slot[i] = nullptr, ++ops;
      }
      uint64_t x = r.next();
      uint32_t k = 1 + Rng::below(static_cast<uint32_t>(x), kBufPerRequest);
      for (uint32_t i = 0; i < k; ++i) {
        size_t n = base + Rng::below(static_cast<uint32_t>(r.next()), static_cast<uint32_t>(base) + 1);
        void* p = A::malloc(n);
        if (!p) { error = "malloc returned null"; break; }
        std::memset(p, static_cast<int>(x), n);  // a read fills it
        slot[i] = p, sizes[q % kBufInFlight][i] = n, ++ops;
      }
    }
    for (auto& slot : held)
      for (void*& p : slot)
        if (p) A::free(p), p = nullptr, ++ops;
    asm volatile("" : : "r"(sum));  // the reads are kept
  }
};

template <class A>
Result run_buffers(uint64_t iters, uint64_t seed, unsigned threads) {
  const unsigned workers = 2 * threads;
  std::vector<BufferWorker<A>> w(workers);
  std::vector<std::thread> ts;
  Result res;
  Timer t;
  for (unsigned i = 0; i < workers; ++i)
    ts.emplace_back([&, i] { w[i].serve(iters / workers, seed + 0x9e37 * (i + 1)); });
  for (auto& th : ts) th.join();
  t.stop(res);
  for (auto& x : w) {
    res.ops += x.ops;
    if (x.error) res.error = x.error;
  }
  return res;
}

}  // namespace hmb
