// segment box boundary: 4 MiB aligned segments carved into spans of 64 KiB slices,
// and the O(1) map from any address to the metadata of the span that holds it.
//
//   address --(>> 22)--> page map kind --(small: the segment's slice table, else all no-span)
//           --(slice index)--> span metadata or no_span()
//
// Segments are registered in the page map (pagemap box) as kSegSmall.
//
// The segment box owns the storage of span metadata (kSpanMetaSize bytes per possible
// span start) but not its meaning: the page box places its Page there.
#pragma once

#include "base.h"
#include "pagemap/pagemap.h"

namespace hm {

inline constexpr size_t kSpanMetaSize = 128;
inline constexpr uint64_t kSegmentMagic = 0x68616b6d656d5347ull;  // "hakmemSG"

struct Segment {
  uint64_t magic;  // kSegmentMagic ^ address of the segment
  uint32_t used_slices;
  uint32_t index_in_list;
  uint64_t free_mask;  // bit i set: slice i is free (slice 0, the header, never is)
  uint64_t dirty_mask;  // free slices whose memory has not been purged yet
  uint64_t aged_mask;   // dirty slices that were dirty at the last purge tick (HAKMEM_PURGE_DELAY_MS)
  Segment* next;
  Segment* prev;
  void* slice_meta[kSlicesPerSegment];  // span metadata covering slice i, or no_span()
  alignas(64) unsigned char meta[kSlicesPerSegment][kSpanMetaSize];
};
static_assert(sizeof(Segment) <= kSliceSize, "segment header must fit slice 0");

namespace segment_detail {
extern unsigned char g_no_span[kSpanMetaSize] HM_HIDDEN;
// The slice table of every address in no small segment: each entry is no_span().
extern void* const g_no_slices[kSlicesPerSegment] HM_HIDDEN;
}  // namespace segment_detail

// What slice_meta holds for a slice that is no part of a span (the header, free slices): an
// all-zero record that is never written, so the free fast lane may read it as the metadata
// of an empty span instead of testing for a null pointer.
HM_FAST_PATH void* no_span() { return segment_detail::g_no_span; }

HM_FAST_PATH Segment* segment_of(uintptr_t p) { return reinterpret_cast<Segment*>(p & ~kSegmentMask); }

// The slice entry of any address: span metadata, or no_span() when the address is in no small
// segment or its slice is no part of a span. The free fast lane's lookup: one byte of the page
// map, then a select without a branch between the segment header's slice table (at a fixed
// offset from the 4 MiB boundary) and the all-no-span table, then the entry.
HM_FAST_PATH void* slice_entry_any(uintptr_t p) {
  uint8_t kind = pagemap_kind(p);
  // Integer arithmetic, not member accesses: the unit may hold no segment (or be page 0). The
  // all-no-span table stands where a segment's slice table would, so one load serves both.
  uintptr_t header = p & ~kSegmentMask;
  uintptr_t none = reinterpret_cast<uintptr_t>(segment_detail::g_no_slices) - offsetof(Segment, slice_meta);
#if defined(__x86_64__)
  // A conditional move (the compiler turns the select below into a branch in hm_free).
  asm("cmpb %[small], %[kind]\n\tcmovne %[none], %[header]"
      : [header] "+r"(header)
      : [kind] "q"(kind), [small] "i"(kSegSmall), [none] "r"(none)
      : "cc");
#else
  header = kind == kSegSmall ? header : none;
#endif
  uintptr_t slice = (p >> kSliceShift) & (kSlicesPerSegment - 1);
  return *reinterpret_cast<void* const*>(header + offsetof(Segment, slice_meta) + slice * sizeof(void*));
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
// Returns the span whose metadata is `meta`. With HAKMEM_PURGE=1 its memory is purged once it
// has been free for HAKMEM_PURGE_DELAY_MS (one to two delays), or in the purge pass that runs
// once more than HAKMEM_PURGE_MB of freed spans are unpurged.
void segment_page_free(void* meta);

// HAKMEM_PURGE_DELAY_MS between span calls: purges the freed spans whose delay ran out, so a
// program that stopped freeing spans does not keep their memory. Called by the small
// allocations' slow path; one load when nothing is due, and it never waits for the lock.
void segment_purge_idle();

// Gives back what freed spans still hold: purges every dirty free slice (HAKMEM_PURGE=1) and
// unmaps the one fully free segment kept for reuse. Returns the bytes released (0: nothing).
size_t segment_trim();

struct SegmentCounters {
  uint64_t segments_mapped, segments_unmapped, spans_alloc, spans_free, live_segments, purge_passes,
      dirty_slices, reuse_purged;
};
SegmentCounters segment_counters();

// fork(): taken before, released after in parent and child.
void segment_lock_all();
void segment_unlock_all();

}  // namespace hm
