// A burst of same-size blocks, then every one freed, one thread.
//
//   burst:S   rounds of N mallocs of S bytes, N cycling through 25, 100, 400 and
//             1600, each block's first and last word written; then the N frees
//             in the order the blocks were made, each block's words checked
//             first. An op is one malloc or one free; rounds go on until `iters`
//             ops are done.
//             The shape of the classic single-thread malloc micro-benchmark (a
//             fixed count of one size allocated, then released, again and again)
//             and of programs that take a batch of equal buffers per unit of work
//             and drop them together: a request's scratch records, a frame's
//             packets, a sort's runs. At 1 KiB and up, 1600 blocks are far more
//             than a thread cache keeps, and the pages they empty are wanted back
//             at once: what counts is the cost of emptying pages and carving them
//             again. Default 10M ops.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "measure.h"

namespace hmb {

inline constexpr uint32_t kBurstCounts[] = {25, 100, 400, 1600};

template <class A>
Result run_burst(uint64_t iters, uint32_t size) {
  std::vector<unsigned char*> objs(1600);
  Result res;
  uint64_t ops = 0;
  bool failed = false, damaged = false;
  const uint64_t tag = 0x5bd1e995u ^ size;
  Timer t;
  for (uint64_t round = 0; ops < iters && !failed; ++round) {
    uint32_t n = kBurstCounts[round % 4], made = 0;
    for (; made < n; ++made) {
      auto* p = static_cast<unsigned char*>(A::malloc(size));
      if (!p) {
        failed = true;
        break;
      }
      uint64_t w = tag ^ made;
      std::memcpy(p, &w, sizeof w);
      std::memcpy(p + size - sizeof w, &w, sizeof w);
      objs[made] = p;
    }
    for (uint32_t k = 0; k < made; ++k) {
      uint64_t head, tail;
      std::memcpy(&head, objs[k], sizeof head);
      std::memcpy(&tail, objs[k] + size - sizeof tail, sizeof tail);
      damaged |= head != (tag ^ k) || tail != head;
      A::free(objs[k]);
    }
    ops += 2 * uint64_t{made};
  }
  t.stop(res);
  res.ops = ops;
  if (failed) res.error = "malloc returned null";
  else if (damaged) res.error = "burst: a block's contents changed before its free";
  return res;
}

}  // namespace hmb
