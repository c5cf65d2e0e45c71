// Single-threaded profiles. Every one uses a working set of kSlots slots and a
// fixed seed; an "op" is one malloc, one free or one realloc.
//
//   mixed     headline "Mixed 16-1024B": each iteration draws a random slot; an
//             occupied slot is freed, an empty one gets malloc(uniform[16,1024]).
//             Default 20M iterations (one op each).
//   small     as mixed, sizes uniform [16, 2048].
//   medium    as mixed, sizes uniform [4096, 32768].
//   mixed32k  as mixed, sizes uniform [16, 32768].
//   app       as mixed, sizes 80% [16,256], 15% [257,2048], 5% [2049,32768].
//   realloc   empty slot: malloc(uniform[16,1024]); occupied: 1 in 8 freed,
//             otherwise realloc'ed to double (capped at 32768, then halved) or
//             half (floor 16) its size, plus up to 15 bytes of jitter.
//   aligned   as mixed, sizes uniform [16,1024], alignment 16 << uniform[0,8]
//             (16..4096); even iterations use aligned_alloc (size rounded up to
//             the alignment), odd ones posix_memalign. Misalignment is an error.
// Blocks still live at the end are freed outside the timed region.
#pragma once

#include <cstddef>
#include <cstdint>

#include "measure.h"
#include "prng.h"

namespace hmb {

inline constexpr uint32_t kSlots = 400;

struct Uniform {
  uint32_t lo, hi;
  uint32_t operator()(uint32_t bits, Rng&) const { return lo + Rng::below(bits, hi - lo + 1); }
};

struct AppSizes {
  uint32_t operator()(uint32_t bits, Rng& r) const {
    uint32_t cls = Rng::below(bits, 100);
    if (cls < 80) return r.range(16, 256);
    if (cls < 95) return r.range(257, 2048);
    return r.range(2049, 32768);
  }
};

template <class A, class Sizes>
Result run_slots(uint64_t iters, uint64_t seed, Sizes sizes) {
  void* slots[kSlots] = {};
  Rng r(seed);
  Result res;
  Timer t;
  for (uint64_t i = 0; i < iters; ++i) {
    uint64_t x = r.next();
    uint32_t s = Rng::below(static_cast<uint32_t>(x), kSlots);
    if (slots[s]) {
      A::free(slots[s]);
      slots[s] = nullptr;
    } else {
      uint32_t n = sizes(static_cast<uint32_t>(x >> 32), r);
      void* p = A::malloc(n);
      if (!p) { res.error = "malloc returned null"; break; }
      touch(p, n, x);
      slots[s] = p;
    }
  }
  t.stop(res);
  res.ops = iters;
  for (void* p : slots) A::free(p);
  return res;
}

template <class A>
Result run_realloc(uint64_t iters, uint64_t seed) {
  void* slots[kSlots] = {};
  uint32_t sizes[kSlots] = {};
  Rng r(seed);
  Result res;
  Timer t;
  for (uint64_t i = 0; i < iters; ++i) {
    uint64_t x = r.next();
    uint32_t s = Rng::below(static_cast<uint32_t>(x), kSlots);
    uint32_t hi = static_cast<uint32_t>(x >> 32);
    if (!slots[s]) {
      uint32_t n = 16 + Rng::below(hi, 1009);
      void* p = A::malloc(n);
      if (!p) { res.error = "malloc returned null"; break; }
      touch(p, n, x);
      slots[s] = p;
      sizes[s] = n;
    } else if ((hi & 7) == 0) {
      A::free(slots[s]);
      slots[s] = nullptr;
    } else {
      uint32_t n = sizes[s];
      bool grow = (hi & 8) != 0;
      if (grow && n * 2 > 32768) grow = false;
      n = grow ? n * 2 : (n / 2 < 16 ? 16 : n / 2);
      n += (hi >> 4) & 15;
      void* p = A::realloc(slots[s], n);
      if (!p) { res.error = "realloc returned null"; break; }
      touch(p, n, x);
      slots[s] = p;
      sizes[s] = n;
    }
  }
  t.stop(res);
  res.ops = iters;
  for (void* p : slots) A::free(p);
  return res;
}

template <class A>
Result run_aligned(uint64_t iters, uint64_t seed) {
  void* slots[kSlots] = {};
  Rng r(seed);
  Result res;
  Timer t;
  for (uint64_t i = 0; i < iters; ++i) {
    uint64_t x = r.next();
    uint32_t s = Rng::below(static_cast<uint32_t>(x), kSlots);
    if (slots[s]) {
      A::free(slots[s]);
      slots[s] = nullptr;
      continue;
    }
    uint32_t hi = static_cast<uint32_t>(x >> 32);
    size_t align = size_t{16} << Rng::below(hi, 9);
    size_t n = 16 + ((hi >> 4) & 1023) % 1009;
    void* p = nullptr;
    if (i & 1) {
      if (A::posix_memalign(&p, align, n) != 0) p = nullptr;
    } else {
      n = (n + align - 1) & ~(align - 1);
      p = A::aligned_alloc(align, n);
    }
    if (!p) { res.error = "aligned allocation returned null"; break; }
    if (reinterpret_cast<uintptr_t>(p) & (align - 1)) { res.error = "misaligned block"; break; }
    touch(p, n, x);
    slots[s] = p;
  }
  t.stop(res);
  res.ops = iters;
  for (void* p : slots) A::free(p);
  return res;
}

}  // namespace hmb
