// sizeclass box boundary: request size <-> size class.
//
// Classes 0..63 are 16..1024 in steps of 16 (class = (n-1)/16); above 1024 there are
// four classes per doubling (1280, 1536, 1792, 2048, 2560, ...) up to 128 KiB.
// Every power of two from 16 to 128 KiB is a class, which the aligned path relies on.
//
// Requests up to 2048 bytes (the front's fast lane) find their class through a 128-entry
// table indexed by (n-1)/16. Up to 1024 bytes it is chosen once at start-up (sizeclass_init,
// HAKMEM_COARSE_CLASSES): every class (the identity), or coarse classes -- every class up to
// 256 bytes, then four per doubling (320, 384, 448, 512, 640, 768, 896, 1024) -- so fewer
// classes each hold a partly used page; 1025..2048 map to 1280, 1536, 1792, 2048 either way.
// Class numbers and sizes are the same in both modes; coarse mode leaves classes unused.
#pragma once

#include "base.h"

namespace hm {

inline constexpr size_t kFastMax = 1024;                  // the 16-byte step classes' range
inline constexpr size_t kMaxSmall = size_t{128} << 10;    // largest size class
inline constexpr unsigned kFastClasses = kFastMax / 16;   // 64
inline constexpr size_t kLaneMax = 2048;                  // the front fast lane's range (table)
inline constexpr unsigned kLaneSlots = kLaneMax / 16;     // 128
inline constexpr unsigned kClassCount = kFastClasses + 4 * 7;  // 92

namespace sizeclass_detail {
struct alignas(64) ClassTable {
  uint8_t of[kLaneSlots];  // (n-1)/16 -> class, for n <= kLaneMax
};
extern ClassTable g_table;

// Every class (n <= kFastMax: the class of 16-byte steps; in coarse mode the table may round
// up to a larger class). 1 <= n <= kMaxSmall.
HM_FAST_PATH constexpr unsigned step_class(size_t n) {
  if (n <= kFastMax) return static_cast<unsigned>((n - 1) >> 4);
  size_t m = n - 1;
  unsigned lg = floor_log2(m);  // 10..16
  return kFastClasses + 4 * (lg - 10) + static_cast<unsigned>((m >> (lg - 2)) & 3);
}
}  // namespace sizeclass_detail

// The class of a request of n bytes, 1 <= n <= kMaxSmall.
HM_FAST_PATH unsigned size_to_class(size_t n) {
  if (n <= kLaneMax) return sizeclass_detail::g_table.of[(n - 1) >> 4];
  return sizeclass_detail::step_class(n);
}

// Chooses the mapping of requests up to kFastMax (called once at start-up by the front,
// before any thread has a heap; tests may switch back and forth on a quiet process).
void sizeclass_init(bool coarse);

HM_FAST_PATH constexpr size_t class_to_size(unsigned c) {
  if (c < kFastClasses) return size_t{16} * (c + 1);
  unsigned k = c - kFastClasses;
  unsigned lg = 10 + k / 4;
  return size_t{4 + k % 4 + 1} << (lg - 2);
}

inline constexpr unsigned class_count() { return kClassCount; }

// Class for a block of at least n bytes aligned to `align` (a power of two, 16 < align <= 64 KiB):
// the power-of-two class >= max(n, align). Returns kClassCount when no class fits.
constexpr unsigned aligned_class(size_t n, size_t align) {
  size_t want = n > align ? n : align;
  if (want > (size_t{64} << 10)) return kClassCount;
  size_t p2 = size_t{1} << (floor_log2(want - 1) + 1);
  return sizeclass_detail::step_class(p2);  // a power of two is its own class in either mapping
}

// How many 64 KiB slices a page of class c spans: one up to 8 KiB blocks, else at least 8 blocks.
constexpr unsigned class_slices(unsigned c) {
  size_t s = class_to_size(c);
  size_t need = s * 8;
  return need <= kSliceSize ? 1u : static_cast<unsigned>((need + kSliceSize - 1) / kSliceSize);
}

static_assert(class_to_size(kClassCount - 1) == kMaxSmall);
static_assert(sizeclass_detail::step_class(kMaxSmall) == kClassCount - 1);
static_assert(class_slices(kClassCount - 1) <= kSlicesPerSegment - 1);

}  // namespace hm
