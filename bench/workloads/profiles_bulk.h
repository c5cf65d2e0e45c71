// Build a structure, then drop it whole, one thread.
//
//   bulk      each round mallocs 16k..64k objects of uniform [16, 256] bytes,
//             each with its size written into its first and last word, then
//             frees them all, each one's words checked first: in the order they
//             were made on even rounds (a list or array dropped front to back),
//             newest first on odd ones (a stack or a recursion unwinding). Rounds go on until
//             `iters` ops are done; an op is one malloc or one free.
//             Stands for programs that make many small objects for one unit of
//             work and free them together: a parser's syntax tree dropped after
//             each file, an interpreter freeing a large list or dict, a
//             compiler's per-function data, a batch job's records. A drop frees
//             far more blocks of a class than a thread cache keeps, so what
//             counts is the cost of giving blocks back to their pages and taking
//             them again, not the cache's fast lane. Default 10M ops.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "measure.h"
#include "prng.h"

namespace hmb {

inline constexpr uint32_t kBulkMin = 16 << 10, kBulkMax = 64 << 10;
inline constexpr uint32_t kBulkSizeMin = 16, kBulkSizeMax = 256;

template <class A>
Result run_bulk(uint64_t iters, uint64_t seed) {
  std::vector<void*> objs(kBulkMax);
  Rng r(seed);
  Result res;
  uint64_t ops = 0;
  bool failed = false, damaged = false;
  Timer t;
  for (uint64_t round = 0; ops < iters && !failed; ++round) {
    uint32_t n = r.range(kBulkMin, kBulkMax), made = 0;
    for (; made < n; ++made) {
      uint32_t size = r.range(kBulkSizeMin, kBulkSizeMax);
      auto* p = static_cast<unsigned char*>(A::malloc(size));
      if (!p) {
        failed = true;
        break;
      }
      std::memcpy(p, &size, sizeof size);
      std::memcpy(p + size - sizeof size, &size, sizeof size);
      objs[made] = p;
    }
    for (uint32_t k = 0; k < made; ++k) {
      auto* p = static_cast<unsigned char*>(objs[round % 2 ? made - 1 - k : k]);
      uint32_t head, tail;
      std::memcpy(&head, p, sizeof head);
      std::memcpy(&tail, p + (head < kBulkSizeMin || head > kBulkSizeMax ? 0 : head - sizeof tail), sizeof tail);
      damaged |= head != tail || head < kBulkSizeMin || head > kBulkSizeMax;
      A::free(p);
    }
    ops += 2 * uint64_t{made};
  }
  t.stop(res);
  res.ops = ops;
  if (failed) res.error = "malloc returned null";
  else if (damaged) res.error = "bulk: an object's contents changed before its free";
  return res;
}

}  // namespace hmb
