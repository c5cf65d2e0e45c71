// Large buffers.
//
//   large     40 slots (about 20 buffers alive, 330 MiB on average); each
//             iteration draws a slot: an occupied one is freed, an empty one
//             gets malloc(uniform[1 MiB, 32 MiB]) and has every 4 KiB page
//             written once (as a program filling a buffer it just got). Stands
//             for programs that cycle big buffers: image and video frames,
//             compression windows, decoded files, column batches of a database
//             scan. What it measures is mostly whether freed buffers are reused
//             (cheap) or returned and faulted in again (system time, minor
//             faults), which `hakmem sbs` reports beside ops/s. Default 3000
//             iterations.
//
//   grow      8 slots; each iteration draws a slot: an empty one gets
//             malloc(uniform[4 KiB, 64 KiB]) and a target size (uniform
//             [256 KiB, 8 MiB]); an occupied one below its target is grown by
//             realloc to 1.25-2x its size and the new part written one byte
//             per page (data appended); one past its target has its first and
//             last byte read and is freed. Stands for buffers that grow by
//             appending: serialisers' output (JSON, protocol buffers), string
//             builders, files read whole, python lists and bytearrays. What it
//             measures is mostly the bytes realloc copies (none when a mapping
//             grows or moves by the kernel). Default 20000 iterations.
#pragma once

#include <cstddef>
#include <cstdint>

#include "measure.h"
#include "prng.h"

namespace hmb {

inline constexpr uint32_t kLargeSlots = 40;
inline constexpr uint32_t kLargeMin = 1u << 20, kLargeMax = 32u << 20;
inline constexpr size_t kTouchStride = 4096;

// Writes one byte in every page-sized stride of the block, and its last byte.
inline void touch_pages(void* p, size_t n, uint64_t v) {
  auto* b = static_cast<unsigned char*>(p);
  for (size_t off = 0; off < n; off += kTouchStride) b[off] = static_cast<unsigned char>(v + off);
  b[n - 1] = static_cast<unsigned char>(v);
}

template <class A>
Result run_large(uint64_t iters, uint64_t seed) {
  void* slots[kLargeSlots] = {};
  Rng r(seed);
  Result res;
  Timer t;
  for (uint64_t i = 0; i < iters; ++i) {
    uint64_t x = r.next();
    uint32_t s = Rng::below(static_cast<uint32_t>(x), kLargeSlots);
    if (slots[s]) {
      A::free(slots[s]);
      slots[s] = nullptr;
      continue;
    }
    size_t n = kLargeMin + Rng::below(static_cast<uint32_t>(x >> 32), kLargeMax - kLargeMin + 1);
    void* p = A::malloc(n);
    if (!p) { res.error = "malloc returned null"; break; }
    touch_pages(p, n, x);
    slots[s] = p;
  }
  t.stop(res);
  res.ops = iters;
  for (void* p : slots) A::free(p);
  return res;
}

inline constexpr uint32_t kGrowSlots = 8;
inline constexpr uint32_t kGrowStartMin = 4u << 10, kGrowStartMax = 64u << 10;
inline constexpr uint32_t kGrowTargetMin = 256u << 10, kGrowTargetMax = 8u << 20;

template <class A>
Result run_grow(uint64_t iters, uint64_t seed) {
  void* slots[kGrowSlots] = {};
  size_t sizes[kGrowSlots] = {}, targets[kGrowSlots] = {};
  unsigned char first[kGrowSlots] = {};  // the byte written at the start: realloc must keep it
  Rng r(seed);
  Result res;
  Timer t;
  for (uint64_t i = 0; i < iters; ++i) {
    uint64_t x = r.next();
    uint32_t s = Rng::below(static_cast<uint32_t>(x), kGrowSlots);
    uint32_t hi = static_cast<uint32_t>(x >> 32);
    if (!slots[s]) {
      size_t n = kGrowStartMin + Rng::below(hi, kGrowStartMax - kGrowStartMin + 1);
      void* p = A::malloc(n);
      if (!p) { res.error = "malloc returned null"; break; }
      touch_pages(p, n, x);
      slots[s] = p, sizes[s] = n, first[s] = static_cast<unsigned char>(x);
      targets[s] = kGrowTargetMin + Rng::below(static_cast<uint32_t>(r.next()), kGrowTargetMax - kGrowTargetMin + 1);
    } else if (sizes[s] >= targets[s]) {
      if (static_cast<unsigned char*>(slots[s])[0] != first[s]) { res.error = "realloc lost a buffer's bytes"; break; }
      A::free(slots[s]);
      slots[s] = nullptr;
    } else {
      size_t n = sizes[s] + sizes[s] / 4 + Rng::below(hi, static_cast<uint32_t>(sizes[s] * 3 / 4) + 1);
      void* p = A::realloc(slots[s], n);
      if (!p) { res.error = "realloc returned null"; break; }
      touch_pages(static_cast<unsigned char*>(p) + sizes[s], n - sizes[s], x);
      slots[s] = p, sizes[s] = n;
    }
  }
  t.stop(res);
  res.ops = iters;
  for (void* p : slots) A::free(p);
  return res;
}

}  // namespace hmb
