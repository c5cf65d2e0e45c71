// segment box boundary: 4 MiB aligned segments carved into spans of 64 KiB slices,
// and the O(1) map from any address to the metadata of the span that holds it.
//
//   address --(>> 22)--> g_slice_tables --(slice index)--> span metadata or no_span()
//   address --(>> 22)--> g_segmap kind (small, large, none: for the large box and the checkers)
//
// The segment box owns the storage of span metadata (kSpanMetaSize bytes per possible
// span start) but not its meaning: the page box places its Page there.
#pragma once

#include "base.h"

namespace hm {

enum SegKind : uint8_t {
  kSegNone = 0,
  kSegSmall = 1,       // a segment of page spans
  kSegLarge = 2,       // a large mapping whose header sits at the start of this 4 MiB unit
  kSegLargeAbove = 3,  // a large block starting this unit; its header is one unit below
};

inline constexpr size_t kSpanMetaSize = 128;
inline constexpr uint64_t kSegmentMagic = 0x68616b6d656d5347ull;  // "hakmemSG"

struct Segment {
  uint64_t magic;  // kSegmentMagic ^ address of the segment
  uint32_t used_slices;
  uint32_t index_in_list;
  uint64_t free_mask;  // bit i set: slice i is free (slice 0, the header, never is)
  uint64_t dirty_mask;  // free slices whose memory has not been purged yet
  Segment* next;
  Segment* prev;
  void* slice_meta[kSlicesPerSegment];  // span metadata covering slice i, or no_span()
  alignas(64) unsigned char meta[kSlicesPerSegment][kSpanMetaSize];
};
static_assert(sizeof(Segment) <= kSliceSize, "segment header must fit slice 0");

namespace segment_detail {
inline constexpr size_t kMapEntries = size_t{1} << (kAddressBits - kSegmentShift);
extern uint8_t g_segmap[kMapEntries];
extern unsigned char g_no_span[kSpanMetaSize];
// Per 4 MiB unit, the slice table (slice_meta) of the small segment there, stored as its byte
// offset from g_no_slices: 0, the zero of untouched memory, reads g_no_slices, whose every
// entry is no_span(). One load gives the free lane a slice entry for any address in range.
extern uintptr_t g_slice_tables[kMapEntries];
extern void* const g_no_slices[kSlicesPerSegment];
}  // namespace segment_detail

// What slice_meta holds for a slice that is no part of a span (the header, free slices): an
// all-zero record that is never written, so the free fast lane may read it as the metadata
// of an empty span instead of testing for a null pointer.
HM_FAST_PATH void* no_span() { return segment_detail::g_no_span; }

HM_FAST_PATH uint8_t segmap_kind(uintptr_t p) {
  uintptr_t unit = p >> kSegmentShift;
  if (HM_UNLIKELY(unit >= segment_detail::kMapEntries)) return kSegNone;
  return __atomic_load_n(&segment_detail::g_segmap[unit], __ATOMIC_RELAXED);
}
void segmap_set(uintptr_t unit_start, uint8_t kind);

HM_FAST_PATH Segment* segment_of(uintptr_t p) { return reinterpret_cast<Segment*>(p & ~kSegmentMask); }

// The slice entry of any address: span metadata, or no_span() when the address is in no small
// segment or its slice is no part of a span. The free fast lane's lookup: no kind test, since
// an address outside every small segment reads the all-no-span table.
HM_FAST_PATH void* slice_entry_any(uintptr_t p) {
  uintptr_t unit = p >> kSegmentShift;
  if (HM_UNLIKELY(unit >= segment_detail::kMapEntries)) return no_span();
  uintptr_t table = reinterpret_cast<uintptr_t>(segment_detail::g_no_slices) +
                    __atomic_load_n(&segment_detail::g_slice_tables[unit], __ATOMIC_RELAXED);
  return reinterpret_cast<void* const*>(table)[(p >> kSliceShift) & (kSlicesPerSegment - 1)];
}

// Span metadata for an address inside a small segment; nullptr if the address is not in one
// or its slice is no part of a span.
HM_FAST_PATH void* span_meta_of(uintptr_t p) {
  void* m = slice_entry_any(p);
  return m == no_span() ? nullptr : m;
}

struct Span {
  void* meta;      // kSpanMetaSize bytes, 64-byte aligned, contents unspecified
  uint8_t* start;  // first usable byte (64 KiB aligned)
  size_t bytes;    // slices * 64 KiB
};

// A span of `slices` contiguous slices (1..63); {nullptr,...} when out of memory.
Span segment_page_alloc(unsigned slices);
// Returns the span whose metadata is `meta`. With HAKMEM_PURGE=1 its memory is purged in the
// next purge pass, which runs once more than HAKMEM_PURGE_MB of freed spans are unpurged.
void segment_page_free(void* meta);

// Gives back what freed spans still hold: purges every dirty free slice (HAKMEM_PURGE=1) and
// unmaps the one fully free segment kept for reuse. Returns the bytes released (0: nothing).
size_t segment_trim();

// Start address and slice count of the span that owns `meta`.
uint8_t* span_start(const void* meta);
unsigned span_slices(const void* meta);

struct SegmentCounters {
  uint64_t segments_mapped, segments_unmapped, spans_alloc, spans_free, live_segments, purge_passes,
      dirty_slices;
};
SegmentCounters segment_counters();

// Calls fn(segment) for every live small segment, under the segment lock.
void segment_for_each(void (*fn)(Segment*, void*), void* arg);

// fork(): taken before, released after in parent and child.
void segment_lock_all();
void segment_unlock_all();

}  // namespace hm
