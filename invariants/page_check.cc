// invariants/: the page box. O(1): INV-SEGMENT-1 of the page's segment, INV-SEGMENT-4 (the
// page's record of its span), INV-PAGE-1 (geometry; the carved count against the carve limit
// by the owner only). Walk (owner only): INV-PAGE-2 and
// INV-PAGE-4 over the free list, INV-REMOTE-1 over the remote queue, then INV-PAGE-3.
// Blocks are carved lazily: only the first `carved` blocks of a page may be free or used.
#include <atomic>

#include "check.h"
#include "page/page.h"
#include "page/inspect.h"
#include "segment/inspect.h"
#include "tcache/inspect.h"

namespace hm::check {
namespace {

// blk_mul_for(class_to_size(cls)), a 128-bit division, computed once per class (the classes'
// sizes are fixed at start-up, before the first page).
constinit std::atomic<uint64_t> g_blk_mul[kClassCount];
uint64_t class_blk_mul(unsigned cls, size_t bs) {
  uint64_t m = g_blk_mul[cls].load(std::memory_order_relaxed);
  if (HM_UNLIKELY(!m)) g_blk_mul[cls].store(m = blk_mul_for(bs), std::memory_order_relaxed);
  return m;
}

}  // namespace

bool check_page_o1(Sink& s, const Page* pg) {
  if (!check_segment(s, segment_of(reinterpret_cast<uintptr_t>(pg)), 1)) return false;
  auto w = [pg] { return at_page(pg, nullptr); };  // built only for a finding
  uint8_t* start = span_start(pg);
  unsigned slices = span_slices(pg);
  if (pg->start != start)
    return s.fail(registry::InvId::seg_span, w(), "first block", reinterpret_cast<uintptr_t>(start),
                  reinterpret_cast<uintptr_t>(pg->start), true);
  if (pg->slices != slices) return s.fail(registry::InvId::seg_span, w(), "slices", slices, pg->slices);
  if (pg->cls >= kClassCount) return s.fail(registry::InvId::page_geometry, w(), "class below", kClassCount, pg->cls);
  size_t bs = class_to_size(pg->cls);
  if (pg->block_size != bs) return s.fail(registry::InvId::page_geometry, w(), "block size", bs, pg->block_size);
  size_t span = static_cast<size_t>(slices) << kSliceShift;  // capacity == span / bs, without a division
  if (uint64_t{pg->capacity} * bs > span || (uint64_t{pg->capacity} + 1) * bs <= span)
    return s.fail(registry::InvId::page_geometry, w(), "capacity", span / bs, pg->capacity);
  uint64_t mul = class_blk_mul(pg->cls, bs);
  if (pg->blk_mul != mul)
    return s.fail(registry::InvId::page_geometry, w(), "block-test multiplier", mul, pg->blk_mul);
  if (pg->cookie_key != page_detail::g_secret)
    return s.fail(registry::InvId::page_geometry, w(), "copy of the cookie secret", page_detail::g_secret, pg->cookie_key, true);
  // The owner writes `carved` and then `carve_limit` as it carves: another thread may see one
  // updated and not the other, so it checks each word on its own (the limit is a whole number
  // of block steps within the capacity); only the owner compares the pair.
  uint32_t carved = pg->carved.load(std::memory_order_relaxed);
  if (carved > pg->capacity) return s.fail(registry::InvId::page_geometry, w(), "carved at most", pg->capacity, carved);
  uint64_t step = mul * bs;  // blk_step(bs)
  uint64_t seen = pg->carve_limit.load(std::memory_order_relaxed);
  // The owner's pair test implies the single-word one (carved is at most the capacity): no division.
  if (pg->owner.load(std::memory_order_relaxed) == tcache_heap()) {
    uint64_t limit = carved * step;
    if (seen != limit) return s.fail(registry::InvId::page_geometry, w(), "carve limit", limit, seen);
    return true;
  }
  if (seen % step != 0 || seen / step > pg->capacity)
    return s.fail(registry::InvId::page_geometry, w(), "carve limit at most, a multiple of the block step",
                  uint64_t{pg->capacity} * step, seen);
  return true;
}

bool check_page_walk(Sink& s, const Page* pg, const Heap* owner) {
  uintptr_t start = reinterpret_cast<uintptr_t>(pg->start);
  uint32_t carved = pg->carved.load(std::memory_order_relaxed);
  uintptr_t end = start + static_cast<uintptr_t>(carved) * pg->block_size;
  unsigned nfree = 0;
  for (const Block* b = pg->free; b; b = b->next) {
    uintptr_t u = reinterpret_cast<uintptr_t>(b);
    if (u < start || u >= end || (u - start) % pg->block_size)
      return s.fail(registry::InvId::page_freelist, at_page(pg, b), "block inside the page at a multiple of",
                    pg->block_size, u - start);
    if (++nfree > carved)
      return s.fail(registry::InvId::page_freelist, at_page(pg, b), "free-list length at most", carved, nfree);
    if (b->cookie != page_cookie(u))
      return s.fail(registry::InvId::page_cookie, at_page(pg, b), "cookie", page_cookie(u), b->cookie, true);
  }
  unsigned pending = 0;
  if (!check_remote_queue(s, pg, &pending)) return false;
  Where w = at_page(pg, nullptr);
  if (pg->used + nfree != carved) return s.fail(registry::InvId::page_used, w, "used", carved - nfree, pg->used);
  // Blocks of this page in the owner's bin are handed out from the page's point of view.
  unsigned in_bin = 0;
  const ThreadCache* cache = tcache_of(owner);
  const Bin& bin = cache->bins[pg->cls];
  unsigned steps = 0;
  for (const Block* b = bin.head; b && steps <= bin.count(); b = tcache_next(cache, b), ++steps)
    if (page_of(reinterpret_cast<uintptr_t>(b)) == pg) ++in_bin;
  if (pending + in_bin > pg->used)
    return s.fail(registry::InvId::page_used, w, "used at least (remote + bin)", pending + in_bin, pg->used);
  return true;
}

}  // namespace hm::check
