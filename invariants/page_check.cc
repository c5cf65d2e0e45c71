// invariants/: the page box. O(1): INV-SEGMENT-1 of the page's segment, INV-SEGMENT-4 (the
// page's record of its span), INV-PAGE-1 (geometry; the carved count against the carve limit
// by the owner only). Walk (owner only): INV-PAGE-2 and
// INV-PAGE-4 over the free list, INV-REMOTE-1 over the remote queue, then INV-PAGE-3.
// Blocks are carved lazily: only the first `carved` blocks of a page may be free or used.
#include <atomic>

#include "check.h"
#include "page_o1.h"
#include "page/page.h"
#include "page/inspect.h"
#include "segment/inspect.h"
#include "tcache/inspect.h"

namespace hm::check {
bool check_page_o1(Sink& s, const Page* pg) {
  PageFault f = page_o1_fault(pg, tcache_heap());
  if (HM_LIKELY(f == PageFault::ok)) return true;
  // The finding of the first check that failed, from the fields as they are now.
  using registry::InvId;
  const Segment* seg = segment_of(reinterpret_cast<uintptr_t>(pg));
  Where w = at_page(pg, nullptr);
  uint64_t bs = pg->cls < kClassCount ? class_to_size(pg->cls) : 0;
  uint64_t step = bs ? blk_step(bs) : 1;
  switch (f) {
    case PageFault::ok:
      return true;
    case PageFault::segment:
      return check_segment(s, seg, 1);
    case PageFault::start: {
      uintptr_t at = reinterpret_cast<uintptr_t>(seg) + (uintptr_t{record_first_slice(seg, pg)} << kSliceShift);
      uintptr_t start = at + (bs ? page_color(at, size_t{pg->slices} << kSliceShift, bs, config().page_color) : 0);
      return s.fail(InvId::seg_span, w, "first block", start, reinterpret_cast<uintptr_t>(pg->start), true);
    }
    case PageFault::slices:
      return s.fail(InvId::seg_span, w, "slices", span_slices(pg), pg->slices);
    case PageFault::cls:
      return s.fail(InvId::page_geometry, w, "class below", kClassCount, pg->cls);
    case PageFault::block_size:
      return s.fail(InvId::page_geometry, w, "block size", bs, pg->block_size);
    case PageFault::capacity: {
      uintptr_t at = reinterpret_cast<uintptr_t>(seg) + (uintptr_t{record_first_slice(seg, pg)} << kSliceShift);
      uint64_t span = uint64_t{pg->slices} << kSliceShift;
      return s.fail(InvId::page_geometry, w, "capacity", (span - page_color(at, span, bs, config().page_color)) / bs,
                    pg->capacity);
    }
    case PageFault::blk_mul:
      return s.fail(InvId::page_geometry, w, "block-test multiplier", blk_mul_for(bs), pg->blk_mul);
    case PageFault::cookie_key:
      return s.fail(InvId::page_geometry, w, "copy of the cookie secret", page_detail::g_secret, pg->cookie_key, true);
    case PageFault::carved:
      return s.fail(InvId::page_geometry, w, "carved at most", pg->capacity, pg->carved.load(std::memory_order_relaxed));
    case PageFault::carve_limit:
      return s.fail(InvId::page_geometry, w, "carve limit", pg->carved.load(std::memory_order_relaxed) * step,
                    pg->carve_limit.load(std::memory_order_relaxed));
    case PageFault::carve_step:
      return s.fail(InvId::page_geometry, w, "carve limit at most, a multiple of the block step",
                    uint64_t{pg->capacity} * step, pg->carve_limit.load(std::memory_order_relaxed));
  }
  return true;
}

bool check_page_walk(Sink& s, const Page* pg, const Heap* owner) {
  uintptr_t start = reinterpret_cast<uintptr_t>(pg->start);
  uint32_t carved = pg->carved.load(std::memory_order_relaxed);
  uintptr_t end = start + static_cast<uintptr_t>(carved) * pg->block_size;
  unsigned nfree = 0;
  // Inside [start, end), a block start is the block test of page/inspect.h (no division) when the
  // page's block size is its class's.
  const page_o1_detail::ClassGeometry* g = nullptr;
  if (pg->cls < kClassCount && pg->block_size == page_o1_detail::kGeometry[pg->cls].block_size)
    g = &page_o1_detail::kGeometry[pg->cls];
  uint64_t limit = g ? uint64_t{carved} * g->step : 0;
  for (const Block* b = pg->free; b; b = b->next) {
    uintptr_t u = reinterpret_cast<uintptr_t>(b);
    if (u < start || u >= end || (g ? (u - start) * g->blk_mul >= limit : (u - start) % pg->block_size != 0))
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
  const ThreadCache* cache = tcache_of(owner);
  auto on_page = [&](const Block* head, uint32_t most) {  // pg's blocks among a list's first most + 1
    unsigned n = 0, steps = 0;
    for (const Block* b = head; b && steps <= most; b = tcache_next(cache, b), ++steps)
      if (page_of(reinterpret_cast<uintptr_t>(b)) == pg) ++n;
    return n;
  };
  const Bin& bin = cache->bins[pg->cls];
  unsigned in_bin = on_page(bin.head, bin.count()) +
                    on_page(cache->spare[pg->cls], slow_bin(cache, pg->cls).bound);  // and its spare
  if (pending + in_bin > pg->used)
    return s.fail(registry::InvId::page_used, w, "used at least (remote + bin)", pending + in_bin, pg->used);
  return true;
}

}  // namespace hm::check
