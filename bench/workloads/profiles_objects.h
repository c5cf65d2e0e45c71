// Many small linked objects with interleaved lifetimes, one thread.
//
//   objects   4096 roots, each empty or holding a singly linked list of nodes of
//             uniform [8, 64] bytes (a node starts with its link; the rest is
//             payload, written when it is made). Each iteration draws a root:
//             - empty: a list of 1..24 fresh nodes is built;
//             - occupied, half the time: the whole list is walked (reading
//               every node) and freed node by node;
//             - otherwise: 1..8 nodes are popped from its head (read, freed)
//               and 1..8 fresh ones pushed, so old tails live on under young
//               heads.
//             Stands for bignum arithmetic (limb vectors and temporaries made and
//             dropped per operation, as in a factoriser), symbolic programs
//             (expression trees, logic minimisers' cube lists) and interpreters'
//             small objects: the cost is less the malloc/free calls than where
//             consecutive blocks land, which the walks make visible. An op is
//             one malloc or one free. About 2 MiB stay live (beyond a core's L2), so
//             placement shows. Default 2M iterations (~20M ops).
#pragma once

#include <cstdint>
#include <cstring>

#include "measure.h"
#include "prng.h"

namespace hmb {

inline constexpr uint32_t kObjectRoots = 4096;
inline constexpr uint32_t kNodeMin = 8, kNodeMax = 64;

struct ObjNode {
  ObjNode* next;
};

template <class A>
struct ObjectLists {
  ObjNode* roots[kObjectRoots] = {};
  uint64_t ops = 0, sum = 0;
  bool failed = false;

  bool push(uint32_t root, Rng& r) {
    uint32_t n = r.range(kNodeMin, kNodeMax);
    auto* node = static_cast<ObjNode*>(A::malloc(n));
    if (!node) return failed = true, false;
    node->next = roots[root];
    if (n > sizeof(ObjNode)) std::memset(node + 1, static_cast<int>(n), n - sizeof(ObjNode));
    roots[root] = node;
    ++ops;
    return true;
  }
  // Frees up to `k` nodes from the head of a list, reading each first.
  void pop(uint32_t root, uint64_t k) {
    for (; k && roots[root]; --k) {
      ObjNode* node = roots[root];
      roots[root] = node->next;
      sum += reinterpret_cast<unsigned char*>(node)[sizeof(ObjNode) - 1];
      A::free(node);
      ++ops;
    }
  }
  void clear() {
    for (uint32_t i = 0; i < kObjectRoots; ++i) pop(i, UINT64_MAX);
  }
};

template <class A>
Result run_objects(uint64_t iters, uint64_t seed) {
  ObjectLists<A> l;
  Rng r(seed);
  Result res;
  Timer t;
  for (uint64_t i = 0; i < iters && !l.failed; ++i) {
    uint64_t x = r.next();
    uint32_t root = Rng::below(static_cast<uint32_t>(x), kObjectRoots);
    uint32_t hi = static_cast<uint32_t>(x >> 32);
    if (!l.roots[root]) {
      for (uint32_t k = 1 + Rng::below(hi, 24); k && l.push(root, r); --k) {
      }
    } else if (hi & 1) {
      l.pop(root, UINT64_MAX);
    } else {
      l.pop(root, 1 + ((hi >> 1) & 7));
      for (uint32_t k = 1 + ((hi >> 4) & 7); k && l.push(root, r); --k) {
      }
    }
  }
  t.stop(res);
  res.ops = l.ops;
  l.clear();
  if (l.failed) res.error = "malloc returned null";
  return res;
}

}  // namespace hmb
