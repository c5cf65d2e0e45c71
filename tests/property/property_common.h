// Shared helpers of the property tests (tests/property/*_property_test.cc).
//
// Each test is a RapidCheck stateful test: a command generator over a simple model of the
// box, run against the real box. A failing run shrinks to a minimal command sequence and
// prints the `RC_PARAMS="reproduce=..."` string that replays it.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>

// Failure messages show pointers as addresses, never through them (RapidCheck's default
// dereferences a pointer to show its target, which may be a free block or untyped memory).
// Declared before RapidCheck so its templates see them.
namespace rc {
inline void showValue(void* p, std::ostream& os) { os << p; }
inline void showValue(const void* p, std::ostream& os) { os << p; }
}  // namespace rc
namespace hm {
struct Block;
struct Page;
struct LargeHeader;
struct Heap;
inline void showValue(const Block* p, std::ostream& os) { os << static_cast<const void*>(p); }
inline void showValue(Block* p, std::ostream& os) { os << static_cast<const void*>(p); }
inline void showValue(const Page* p, std::ostream& os) { os << static_cast<const void*>(p); }
inline void showValue(Page* p, std::ostream& os) { os << static_cast<const void*>(p); }
inline void showValue(LargeHeader* p, std::ostream& os) { os << static_cast<const void*>(p); }
inline void showValue(Heap* p, std::ostream& os) { os << static_cast<const void*>(p); }
}  // namespace hm

#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "hakmem/check.h"

namespace hm_prop {

// Runs the allocator's invariant checkers (invariants/, hakmem/check.h) at level 2 after every
// command: those of one box (the box under test, when the test builds states only that box's
// checker understands, e.g. bare spans), or all of them (box == nullptr).
inline void check_invariants(const char* box = nullptr) {
  hm_check_result r{};
  int n = box ? hm_check_box(box, 2, &r) : hm_check_all(2, &r);
  if (n != 0) {
    RC_FAIL(std::string("invariant ") + (r.id ? r.id : "?") + " broken in box " + (r.box ? r.box : "?") + ": " +
            (r.text ? r.text : "") + " (expected " + r.expected + ", found " + r.found + ")");
  }
}

// A byte pattern that depends on the block and the offset, so a misplaced copy shows.
inline uint8_t pattern(uint8_t seed, size_t i) { return static_cast<uint8_t>(seed + i * 31 + (i >> 8)); }

inline void fill(void* p, size_t n, uint8_t seed) {
  auto* b = static_cast<uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) b[i] = pattern(seed, i);
}

// Blocks up to kFullFill bytes are filled completely; larger ones are sampled: the first and
// last 4 KiB and every 65521rd byte in between. written(i, n): byte i of an n-byte fill.
inline constexpr size_t kFullFill = 16384;
inline bool written(size_t i, size_t n) {
  return n <= kFullFill || i < 4096 || i >= n - 4096 || (i - 4096) % 65521 == 0;
}

inline void fill_sampled(void* p, size_t n, uint8_t seed) {
  auto* b = static_cast<uint8_t*>(p);
  if (n <= kFullFill) return fill(p, n, seed);
  for (size_t i = 0; i < 4096; ++i) b[i] = pattern(seed, i), b[n - 1 - i] = pattern(seed, n - 1 - i);
  for (size_t i = 4096; i < n - 4096; i += 65521) b[i] = pattern(seed, i);
}

// Checks the first `len` bytes of a block that fill_sampled filled with n bytes (len <= n).
inline bool check_fill(const void* p, size_t len, uint8_t seed, size_t n) {
  auto* b = static_cast<const uint8_t*>(p);
  if (n <= kFullFill) {
    for (size_t i = 0; i < len; ++i)
      if (b[i] != pattern(seed, i)) return false;
    return true;
  }
  for (size_t i = 0; i < len && i < 4096; ++i)
    if (b[i] != pattern(seed, i)) return false;
  for (size_t i = 4096; i < len && i < n - 4096; i += 65521)
    if (b[i] != pattern(seed, i)) return false;
  for (size_t i = n - 4096; i < len; ++i)
    if (b[i] != pattern(seed, i)) return false;
  return true;
}
inline bool check_fill(const void* p, size_t n, uint8_t seed) { return check_fill(p, n, seed, n); }

inline bool all_zero(const void* p, size_t n) {
  auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i)
    if (b[i]) return false;
  return true;
}

}  // namespace hm_prop
