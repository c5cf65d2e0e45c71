#include "segment/segment.h"
#include "segment/inspect.h"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "config/config.h"
#include "config/inspect.h"
#include "hakmem/check.h"
#include "hakmem/hakmem.h"

namespace hm {
namespace {

struct SegmentTest : ::testing::Test {
  void SetUp() override { hm_free(hm_malloc(16)); }  // process start-up
};

TEST_F(SegmentTest, SpanAddressesMapToTheirMetadataInO1) {
  std::vector<Span> spans;
  for (unsigned slices : {1u, 2u, 5u, 16u}) {
    Span s = segment_page_alloc(slices);
    ASSERT_NE(s.meta, nullptr);
    EXPECT_EQ(s.bytes, slices * kSliceSize);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(s.start) % kSliceSize, 0u);
    EXPECT_EQ(span_start(s.meta), s.start);
    EXPECT_EQ(span_slices(s.meta), slices);
    for (size_t off = 0; off < s.bytes; off += 4099) {
      ASSERT_EQ(span_meta_of(reinterpret_cast<uintptr_t>(s.start) + off), s.meta);
    }
    EXPECT_EQ(pagemap_kind(reinterpret_cast<uintptr_t>(s.start)), kSegSmall);
    spans.push_back(s);
  }
  for (auto& s : spans) {
    segment_page_free(s.meta);
    EXPECT_EQ(span_meta_of(reinterpret_cast<uintptr_t>(s.start)), nullptr);
  }
}

TEST_F(SegmentTest, ForeignAddressesMapToNothing) {
  int local = 0;
  EXPECT_EQ(pagemap_kind(reinterpret_cast<uintptr_t>(&local)), kSegNone);
  EXPECT_EQ(span_meta_of(reinterpret_cast<uintptr_t>(&local)), nullptr);
  EXPECT_EQ(span_meta_of(0), nullptr);
  EXPECT_EQ(span_meta_of(~uintptr_t{0}), nullptr);
}

// The free lane's lookup (slice_entry_any) agrees with span_meta_of inside spans, and gives
// no_span() for every other address: free slices, foreign memory, large blocks, out of range.
TEST_F(SegmentTest, FreeLaneLookupGivesTheSpanOrNoSpan) {
  Span s = segment_page_alloc(3);
  ASSERT_NE(s.meta, nullptr);
  auto start = reinterpret_cast<uintptr_t>(s.start);
  for (size_t off = 0; off < s.bytes; off += 4099) EXPECT_EQ(slice_entry_any(start + off), s.meta);
  int local = 0;
  void* big = hm_malloc(8 << 20);
  for (uintptr_t a : {reinterpret_cast<uintptr_t>(&local), uintptr_t{0}, ~uintptr_t{0},
                      uintptr_t{1} << kAddressBits, reinterpret_cast<uintptr_t>(big),
                      reinterpret_cast<uintptr_t>(segment_of(start))})  // the header slice
    EXPECT_EQ(slice_entry_any(a), no_span()) << a;
  hm_free(big);
  segment_page_free(s.meta);
  EXPECT_EQ(slice_entry_any(start), no_span());
}

// INV-SEGMENT-1 covers the free lane's view: a live segment whose page-map unit reads anything but
// small is reported (every free in it would read the all-no-span table and go to free_slow).
TEST_F(SegmentTest, CheckerReportsASegmentTheMapDoesNotMark) {
  Span s = segment_page_alloc(1);
  ASSERT_NE(s.meta, nullptr);
  uintptr_t unit = reinterpret_cast<uintptr_t>(segment_of(reinterpret_cast<uintptr_t>(s.start)));
  hm_check_result r{};
  EXPECT_EQ(hm_check_box("segment", 1, &r), 0);
  pagemap_set(unit, kSegNone);
  EXPECT_EQ(slice_entry_any(reinterpret_cast<uintptr_t>(s.start)), no_span());
  EXPECT_GE(hm_check_box("segment", 1, &r), 1);
  pagemap_set(unit, kSegSmall);
  EXPECT_STREQ(r.id, "INV-SEGMENT-1");
  EXPECT_EQ(hm_check_box("segment", 1, &r), 0);
  EXPECT_EQ(slice_entry_any(reinterpret_cast<uintptr_t>(s.start)), s.meta);
  segment_page_free(s.meta);
}

TEST_F(SegmentTest, FullSegmentsSpillIntoNewOnesAndEmptyOnesAreReleased) {
  SegmentCounters before = segment_counters();
  std::vector<Span> spans;
  for (int i = 0; i < 3 * 63; ++i) {
    Span s = segment_page_alloc(1);
    ASSERT_NE(s.meta, nullptr);
    spans.push_back(s);
  }
  SegmentCounters mid = segment_counters();
  EXPECT_GE(mid.live_segments, before.live_segments + 2);
  for (auto& s : spans) segment_page_free(s.meta);
  SegmentCounters after = segment_counters();
  if (!config().purge || config().purge_delay_ms < 0) {  // released at once
    EXPECT_GT(after.segments_unmapped, before.segments_unmapped);
    EXPECT_LE(after.live_segments, before.live_segments + 1);  // at most one spare kept
  }
  (void)segment_trim();  // otherwise retired by the purge that would have purged them
  after = segment_counters();
  EXPECT_GT(after.segments_unmapped, before.segments_unmapped);
  EXPECT_LE(after.live_segments, before.live_segments);
}

// HAKMEM_PURGE_DELAY_MS: a segment whose spans were all freed stays mapped while its memory is
// dirty, so the next spans reuse it (no new mapping, no page fault); the purge tick that would
// purge it unmaps it instead.
TEST_F(SegmentTest, AFullyFreeSegmentStaysForTheDelayThenRetires) {
  auto& cfg = config_detail::g_config;
  long saved_delay = cfg.purge_delay_ms, saved_mb = cfg.purge_mb;
  cfg.purge_mb = 1024;
  cfg.purge_delay_ms = 30;
  (void)segment_trim();
  SegmentCounters before = segment_counters();
  std::vector<Span> spans;
  for (int i = 0; i < 2 * 63; ++i) spans.push_back(segment_page_alloc(1));  // two segments' worth
  for (auto& s : spans) ASSERT_NE(s.meta, nullptr);
  const uint64_t mapped = segment_counters().segments_mapped;
  std::memset(spans.back().start, 0x6c, kSliceSize);
  for (auto& s : spans) segment_page_free(s.meta);
  EXPECT_EQ(segment_counters().segments_unmapped, before.segments_unmapped);
  EXPECT_EQ(segment_counters().live_segments, before.live_segments + 2);
  spans.clear();
  for (int i = 0; i < 2 * 63; ++i) spans.push_back(segment_page_alloc(1));  // the same two again
  EXPECT_EQ(segment_counters().segments_mapped, mapped);
  bool kept = false;  // a resident slice kept its bytes: it was neither unmapped nor purged
  for (auto& s : spans) kept |= s.start[0] == 0x6c;
  EXPECT_TRUE(kept);
  for (auto& s : spans) segment_page_free(s.meta);
  for (int i = 0; i < 30 && segment_counters().live_segments > before.live_segments + 1; ++i) {
    usleep(20000);
    segment_purge_idle();
  }
  SegmentCounters after = segment_counters();
  EXPECT_LE(after.live_segments, before.live_segments + 1);  // one may stay as the spare
  EXPECT_GE(after.segments_unmapped, before.segments_unmapped + 1);
  cfg.purge_delay_ms = saved_delay;
  cfg.purge_mb = saved_mb;
  (void)segment_trim();
}

// HAKMEM_PURGE_DELAY_MS: a freed span stays resident (unpurged) for the delay, the next span
// taken reuses its resident slices, and once the delay has passed twice the idle purge gives
// the rest back; at -1 only the byte bound purges.
TEST_F(SegmentTest, PurgeDelayKeepsFreedSpansResidentThenPurges) {
  auto& cfg = config_detail::g_config;
  long saved_delay = cfg.purge_delay_ms, saved_mb = cfg.purge_mb;
  cfg.purge_mb = 1024;
  for (long delay : {40L, -1L}) {
    cfg.purge_delay_ms = delay;
    (void)segment_trim();
    Span keep = segment_page_alloc(1);  // the segment stays mapped
    Span a = segment_page_alloc(4), b = segment_page_alloc(4);
    ASSERT_TRUE(keep.meta && a.meta && b.meta);
    std::memset(a.start, 0x5a, a.bytes);
    std::memset(b.start, 0x5b, b.bytes);
    segment_page_free(a.meta);
    segment_page_free(b.meta);
    EXPECT_EQ(segment_counters().dirty_slices, 8u) << delay;
    segment_purge_idle();
    EXPECT_EQ(segment_counters().dirty_slices, 8u) << delay;  // not yet due
    Span c = segment_page_alloc(4);  // resident slices first: a's or b's, the bytes still there
    ASSERT_NE(c.meta, nullptr);
    EXPECT_TRUE(c.start == a.start || c.start == b.start) << delay;
    EXPECT_EQ(c.start[0], c.start == a.start ? 0x5a : 0x5b) << delay;
    EXPECT_EQ(segment_counters().dirty_slices, 4u) << delay;
    // Three delays later (and a few idle purges on the way) the other freed span is purged.
    for (int i = 0; i < 30 && segment_counters().dirty_slices; ++i) {
      usleep(20000);
      segment_purge_idle();
    }
    EXPECT_EQ(segment_counters().dirty_slices, delay < 0 ? 4u : 0u) << delay;
    segment_page_free(c.meta);
    segment_page_free(keep.meta);
  }
  cfg.purge_delay_ms = saved_delay;
  cfg.purge_mb = saved_mb;
  (void)segment_trim();
}

// HAKMEM_PURGE_REUSE: a span of two slices or more taken over freed, not yet purged slices purges
// them past its first, so another span's leftovers leave the resident set; a smaller span, or the
// gate at 0, keeps every byte it is given.
TEST_F(SegmentTest, ASpanTakenOverFreedSlicesPurgesThemPastItsFirst) {
  auto& cfg = config_detail::g_config;
  long saved_delay = cfg.purge_delay_ms, saved_mb = cfg.purge_mb, saved_reuse = cfg.purge_reuse;
  cfg.purge_mb = 1024;
  cfg.purge_delay_ms = 100000;  // no tick purges during the test
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  for (long gate : {2L, 0L, 5L}) {
    cfg.purge_reuse = gate;
    (void)segment_trim();
    Span keep = segment_page_alloc(1);  // the segment stays mapped
    Span a = segment_page_alloc(4);
    ASSERT_TRUE(keep.meta && a.meta);
    std::memset(a.start, 0x5a, a.bytes);
    segment_page_free(a.meta);
    const uint64_t purged_before = segment_counters().reuse_purged;
    Span c = segment_page_alloc(4);  // resident slices first: a's
    ASSERT_EQ(c.start, a.start) << gate;
    EXPECT_EQ(c.start[0], 0x5a) << gate;  // the first slice keeps its bytes either way
    const bool purges = gate != 0 && 4 >= gate;
    for (unsigned i = 1; i < 4; ++i) {
      uint8_t* slice = c.start + i * kSliceSize;
      unsigned char resident = 0;
      ASSERT_EQ(mincore(slice, page, &resident), 0);
      EXPECT_EQ(slice[kSliceSize - 1], purges ? 0 : 0x5a) << gate << " slice " << i;
      if (purges) EXPECT_EQ(resident & 1, 0) << gate << " slice " << i << " was purged before this read";
    }
    EXPECT_EQ(segment_counters().reuse_purged - purged_before, purges ? 3u : 0u) << gate;
    EXPECT_EQ(segment_counters().dirty_slices, 0u) << gate;
    segment_page_free(c.meta);
    segment_page_free(keep.meta);
  }
  cfg.purge_reuse = saved_reuse;
  cfg.purge_delay_ms = saved_delay;
  cfg.purge_mb = saved_mb;
  (void)segment_trim();
}

}  // namespace
}  // namespace hm
