// sizeclass box boundary: request size <-> size class.
//
// Classes 0..63 are 16..1024 in steps of 16 (class = (n-1)/16); then sixteen classes from 1 to
// 2 KiB (1088, 1152, ..., 2048), eight per doubling to 8 KiB (2304, 2560, ..., 8192) and four
// per doubling to 128 KiB (10240, 12288, 14336, 16384, 20480, ...).
// Every power of two from 16 to 128 KiB is a class, which the aligned path relies on.
//
// Two mappings are chosen once at start-up (sizeclass_init):
// - up to 1024 bytes (HAKMEM_COARSE_CLASSES): every class (the identity), or coarse classes --
//   every class up to 256 bytes, then four per doubling (320, 384, 448, 512, 640, 768, 896,
//   1024) -- so fewer classes each hold a partly used page;
// - from 1 to 8 KiB (HAKMEM_FINE_CLASSES, level 2, 1 or 0): every class (sixteen from 1 to
//   2 KiB, so a 1 KiB buffer with a small header wastes at most 6.25% of its block; eight per
//   doubling above, 12.5%), or eight per doubling throughout (every other class to 2 KiB), or
//   four (1280, 1536, 1792, 2048, ...: at most 25%). Larger classes stay four per doubling:
//   each holds a page of at least eight blocks, so a class more costs a partly used page of
//   80 KiB and more.
// Requests up to 2048 bytes (the front's fast lane) find their class through a 128-entry
// table indexed by (n-1)/16, larger ones through a 512-entry table indexed by (n-1)/256. Class numbers and sizes are the same in
// every mode; the coarser modes leave classes unused.
#pragma once

#include "base.h"

namespace hm {

inline constexpr size_t kFastMax = 1024;                  // the 16-byte step classes' range
inline constexpr size_t kMaxSmall = size_t{128} << 10;    // largest size class
inline constexpr unsigned kFastClasses = kFastMax / 16;   // 64
inline constexpr size_t kLaneMax = 2048;                  // the front fast lane's range (table)
inline constexpr unsigned kLaneSlots = kLaneMax / 16;     // 128
inline constexpr size_t kFineMax = 8192;                  // the eight-per-doubling classes' top
inline constexpr unsigned kFineClasses = 16 + 8 * 2;      // 1 to 2 KiB, 2 to 8 KiB
// Every class edge above kLaneMax is a multiple of 256, so (n-1)/256 picks the class there.
inline constexpr unsigned kBigSlots = kMaxSmall / 256;    // 512
inline constexpr unsigned kClassCount = kFastClasses + kFineClasses + 4 * 4;  // 112

namespace sizeclass_detail {
struct alignas(64) ClassTable {
  uint8_t of[kLaneSlots];  // (n-1)/16 -> class, for n <= kLaneMax
  uint8_t big[kBigSlots];  // (n-1)/256 -> class, for kLaneMax < n <= kMaxSmall
};
extern ClassTable g_table;

// The tightest class of every class (the coarser mappings may round up to a larger class).
// 1 <= n <= kMaxSmall.
HM_FAST_PATH constexpr unsigned step_class(size_t n) {
  if (n <= kFastMax) return static_cast<unsigned>((n - 1) >> 4);
  size_t m = n - 1;
  if (n <= 2048) return kFastClasses + static_cast<unsigned>((m >> 6) & 15);
  unsigned lg = floor_log2(m);  // 11..16
  if (n <= kFineMax) return kFastClasses + 16 + 8 * (lg - 11) + static_cast<unsigned>((m >> (lg - 3)) & 7);
  return kFastClasses + kFineClasses + 4 * (lg - 13) + static_cast<unsigned>((m >> (lg - 2)) & 3);
}
}  // namespace sizeclass_detail

// The class of a request of n bytes, 1 <= n <= kMaxSmall.
HM_FAST_PATH unsigned size_to_class(size_t n) {
  if (n <= kLaneMax) return sizeclass_detail::g_table.of[(n - 1) >> 4];
  return sizeclass_detail::g_table.big[(n - 1) >> 8];  // a load, not a branch on sizes around kFineMax
}

// Chooses the mappings: coarse classes up to kFastMax; from 1 to 8 KiB, fine = 2 every class,
// 1 eight per doubling, 0 four (called once at start-up by the front, before any thread has a
// heap; tests may switch back and forth on a quiet process).
void sizeclass_init(bool coarse, unsigned fine);

HM_FAST_PATH constexpr size_t class_to_size(unsigned c) {
  if (c < kFastClasses) return size_t{16} * (c + 1);
  unsigned k = c - kFastClasses;
  if (k < 16) return size_t{1024} + 64 * (k + 1);
  k -= 16;
  if (k < 16) return size_t{8 + k % 8 + 1} << (11 + k / 8 - 3);
  k -= 16;
  return size_t{4 + k % 4 + 1} << (13 + k / 4 - 2);
}

inline constexpr unsigned class_count() { return kClassCount; }

// Class for a block of at least n bytes aligned to `align` (a power of two, 16 < align <= 64 KiB):
// the power-of-two class >= max(n, align). Returns kClassCount when no class fits.
constexpr unsigned aligned_class(size_t n, size_t align) {
  size_t want = n > align ? n : align;
  if (want > (size_t{64} << 10)) return kClassCount;
  size_t p2 = size_t{1} << (floor_log2(want - 1) + 1);
  return sizeclass_detail::step_class(p2);  // a power of two is its own class in every mapping
}

// How many 64 KiB slices a page of class c spans: one up to 8 KiB blocks, else at least 8 blocks.
constexpr unsigned class_slices(unsigned c) {
  size_t s = class_to_size(c);
  size_t need = s * 8;
  return need <= kSliceSize ? 1u : static_cast<unsigned>((need + kSliceSize - 1) / kSliceSize);
}

static_assert(class_to_size(kClassCount - 1) == kMaxSmall);
static_assert(sizeclass_detail::step_class(kMaxSmall) == kClassCount - 1);
static_assert(kFastClasses % 4 == 0 && (sizeclass_detail::step_class(2048) & 3) == 3 &&
                  (sizeclass_detail::step_class(4096) & 1) && (sizeclass_detail::step_class(kFineMax) & 1),
              "1 and 2 KiB end a run of four classes, 4 and 8 KiB one of two: classes of every mapping");
static_assert(class_to_size(sizeclass_detail::step_class(kFineMax) + 1) == 10240);
static_assert(class_slices(kClassCount - 1) <= kSlicesPerSegment - 1);

namespace sizeclass_detail {
constexpr bool big_edges_on_256() {
  for (unsigned c = 0; c < kClassCount; ++c)
    if (class_to_size(c) > kLaneMax && class_to_size(c) % 256 != 0) return false;
  return kLaneMax % 256 == 0;
}
}  // namespace sizeclass_detail
static_assert(sizeclass_detail::big_edges_on_256(), "the big table's slots of 256 bytes must not straddle a class edge");

}  // namespace hm
