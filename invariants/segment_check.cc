// invariants/: the segment box. INV-SEGMENT-1 (magic, page-map kind), INV-SEGMENT-2 (slice
// map against the free mask and the span runs, the no-span record still zero, the unpurged and
// aged masks within the free one), INV-SEGMENT-3 (used-slice count).
// INV-SEGMENT-4 (a page's own record of its span) is checked with the page (page_check.cc).
#include "check.h"
#include "segment/segment.h"
#include "segment/inspect.h"

namespace hm::check {
namespace {

Where at_segment(const Segment* seg, const void* addr = nullptr) {
  Where w;
  w.addr = addr ? addr : seg;
  w.segment = seg;
  return w;
}

}  // namespace

bool check_segment(Sink& s, const Segment* seg, int level) {
  uintptr_t a = reinterpret_cast<uintptr_t>(seg);
  if (seg->magic != (kSegmentMagic ^ a))
    return s.fail(registry::InvId::seg_magic, at_segment(seg), "magic", kSegmentMagic ^ a, seg->magic, true);
  // The free lane reads this segment's slice table only while the page map marks its unit small.
  if (pagemap_kind(a) != kSegSmall)
    return s.fail(registry::InvId::seg_magic, at_segment(seg), "page-map kind", kSegSmall, pagemap_kind(a));
  if (level < 2) return true;

  // The no-span record stands for "no page here" in the free fast lane: it must stay zero.
  const auto* none = static_cast<const unsigned char*>(no_span());
  for (size_t i = 0; i < kSpanMetaSize; ++i)
    if (none[i])
      return s.fail(registry::InvId::seg_slicemap, at_segment(seg, none + i), "no-span record byte", 0, none[i]);

  // Slice 0 is the header: never free, never a span.
  if ((seg->free_mask & 1) || seg->slice_meta[0] != no_span())
    return s.fail_text(registry::InvId::seg_slicemap, at_segment(seg), "slice 0 used by the header",
                       "slice 0 free or mapped to a page");
  for (unsigned i = 1; i < kSlicesPerSegment; ++i) {
    bool free = (seg->free_mask >> i) & 1;
    const void* m = seg->slice_meta[i];
    uint8_t* slice = reinterpret_cast<uint8_t*>(a + (uintptr_t{i} << kSliceShift));
    if (free) {
      if (m != no_span())
        return s.fail(registry::InvId::seg_slicemap, at_segment(seg, slice), "free slice maps to",
                      reinterpret_cast<uintptr_t>(no_span()), reinterpret_cast<uintptr_t>(m), true);
      continue;
    }
    // A used slice maps to the metadata of its own index (a span's first slice) or to the
    // same metadata as the slice before it (the rest of the span).
    bool starts = m == seg->meta[i];
    bool continues = m != no_span() && m == seg->slice_meta[i - 1];
    if (!starts && !continues)
      return s.fail(registry::InvId::seg_slicemap, at_segment(seg, slice), "used slice maps to",
                    reinterpret_cast<uintptr_t>(seg->meta[i]), reinterpret_cast<uintptr_t>(m), true);
  }
  // Unpurged (dirty) slices are free slices; the aged ones (HAKMEM_PURGE_DELAY_MS) are dirty ones.
  if (uint64_t stray = seg->dirty_mask & ~seg->free_mask)
    return s.fail(registry::InvId::seg_slicemap, at_segment(seg), "unpurged slices that are not free", 0, stray, true);
  if (uint64_t stray = seg->aged_mask & ~seg->dirty_mask)
    return s.fail(registry::InvId::seg_slicemap, at_segment(seg), "aged slices that are not unpurged", 0, stray, true);
  unsigned used = static_cast<unsigned>(__builtin_popcountll(~seg->free_mask & ~uint64_t{1}));
  if (seg->used_slices != used)
    return s.fail(registry::InvId::seg_count, at_segment(seg), "used slices", used, seg->used_slices);
  return true;
}

void check_segments(Sink& s, int level) {
  struct Ctx {
    Sink* s;
    int level;
  } ctx{&s, level};
  segment_for_each([](Segment* seg, void* arg) {
    auto* c = static_cast<Ctx*>(arg);
    check_segment(*c->s, seg, c->level);
  }, &ctx);
}

void check_one_segment(Sink& s, const Segment* seg, int level) {
  struct Ctx {
    Sink* s;
    const Segment* seg;
    int level;
  } ctx{&s, seg, level};
  segment_for_each([](Segment* x, void* arg) {
    auto* c = static_cast<Ctx*>(arg);
    if (x == c->seg) check_segment(*c->s, x, c->level);
  }, &ctx);
}

}  // namespace hm::check
