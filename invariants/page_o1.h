// invariants/: the O(1) checks of a page (INV-SEGMENT-1 of its segment, INV-SEGMENT-4,
// INV-PAGE-1) as one straight-line test that names the first check that fails, inlined where a
// check runs at every operation (the level-1 malloc and free, hooks.cc). check_page_o1
// (page_check.cc) runs the same test and turns a failure into its finding, so the two never
// disagree.
#pragma once

#include <array>

#include "config/config.h"
#include "page/page.h"
#include "page/inspect.h"
#include "segment/segment.h"

namespace hm::check {

// The first O(1) check of a page that fails, in the order they run.
enum class PageFault : uint8_t {
  ok,
  segment,      // INV-SEGMENT-1: the segment's magic or its page-map kind
  start,        // INV-SEGMENT-4: the first block is not where the record's span starts
  slices,       // INV-SEGMENT-4: the span's slices do not map to the record, or one more does
  cls,          // INV-PAGE-1 from here on
  block_size,
  capacity,
  blk_mul,
  cookie_key,
  carved,       // more blocks carved than the capacity
  carve_limit,  // the owner's test: carve limit against carved blocks
  carve_step,   // another thread's test: carve limit a whole number of steps within the capacity
};

namespace page_o1_detail {
// What a page of class c carries, from the class alone (page_new): its block size and the
// block test's multiplier and step. The classes are fixed at compile time, so is this table.
struct ClassGeometry {
  uint64_t blk_mul;
  uint64_t step;  // blk_step(block_size)
  uint32_t block_size;
};
inline constexpr auto kGeometry = [] {
  std::array<ClassGeometry, kClassCount> g{};
  for (unsigned c = 0; c < kClassCount; ++c)
    g[c] = {blk_mul_for(class_to_size(c)), blk_step(class_to_size(c)), static_cast<uint32_t>(class_to_size(c))};
  return g;
}();
}  // namespace page_o1_detail

// The slice of its segment that the span of the page record pg starts at (span_start's
// arithmetic, without a call).
HM_FAST_PATH unsigned record_first_slice(const Segment* seg, const Page* pg) {
  uintptr_t meta0 = reinterpret_cast<uintptr_t>(&seg->meta[0][0]);
  return static_cast<unsigned>((reinterpret_cast<uintptr_t>(pg) - meta0) / kSpanMetaSize);
}

// The O(1) checks of pg, as `me` (the calling thread's heap) sees it: only the owner compares
// the carved count with the carve limit (the owner writes one and then the other).
HM_FAST_PATH PageFault page_o1_fault(const Page* pg, const Heap* me) {
  using F = PageFault;
  const Segment* seg = segment_of(reinterpret_cast<uintptr_t>(pg));
  uintptr_t sa = reinterpret_cast<uintptr_t>(seg);
  if (HM_UNLIKELY(seg->magic != (kSegmentMagic ^ sa) || pagemap_kind(sa) != kSegSmall)) return F::segment;
  unsigned first = record_first_slice(seg, pg);
  uintptr_t span_at = sa + (uintptr_t{first} << kSliceShift);
  if (HM_UNLIKELY(reinterpret_cast<uintptr_t>(pg->start) - span_at >= kSliceSize)) return F::start;
  // The slices [first, first + n) map to the record and the next one does not: span_slices == n.
  unsigned n = pg->slices;
  if (HM_UNLIKELY(n == 0 || first + n > kSlicesPerSegment)) return F::slices;
  for (unsigned i = 0; i < n; ++i)
    if (HM_UNLIKELY(seg->slice_meta[first + i] != pg)) return F::slices;
  if (HM_UNLIKELY(first + n < kSlicesPerSegment && seg->slice_meta[first + n] == pg)) return F::slices;
  if (HM_UNLIKELY(pg->cls >= kClassCount)) return F::cls;
  const auto& g = page_o1_detail::kGeometry[pg->cls];
  uint64_t bs = g.block_size;
  if (HM_UNLIKELY(pg->block_size != bs)) return F::block_size;
  uint64_t span = uint64_t{n} << kSliceShift;
  uint64_t color = page_color(span_at, span, bs, config().page_color);
  if (HM_UNLIKELY(reinterpret_cast<uintptr_t>(pg->start) != span_at + color)) return F::start;
  uint64_t cap = pg->capacity, room = span - color;  // capacity == room / bs, without a division
  if (HM_UNLIKELY(cap * bs > room || (cap + 1) * bs <= room)) return F::capacity;
  if (HM_UNLIKELY(pg->blk_mul != g.blk_mul)) return F::blk_mul;
  if (HM_UNLIKELY(pg->cookie_key != page_detail::g_secret)) return F::cookie_key;
  uint32_t carved = pg->carved.load(std::memory_order_relaxed);
  if (HM_UNLIKELY(carved > cap)) return F::carved;
  uint64_t seen = pg->carve_limit.load(std::memory_order_relaxed);
  // The owner's pair test implies the single-word one (carved is at most the capacity): no division.
  if (HM_LIKELY(pg->owner.load(std::memory_order_relaxed) == me)) return seen == carved * g.step ? F::ok : F::carve_limit;
  return seen % g.step != 0 || seen / g.step > cap ? F::carve_step : F::ok;
}

// check_free_block's tests of a block in a bin or batch of class cls, inline: true when it passes
// them all (check_free_block names the first that fails).
HM_FAST_PATH bool free_block_ok(unsigned cls, const Block* b) {
  uintptr_t u = reinterpret_cast<uintptr_t>(b);
  const Page* pg = page_of(u);
  return pg && pg->cls == cls && page_is_block(pg, u) && b->cookie == free_cookie(u);
}

}  // namespace hm::check
