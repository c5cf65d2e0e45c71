// Fuzz harness of the segment box: segment_page_alloc / segment_page_free of input-chosen span
// sizes, segment_trim and segment_purge_idle (at several purge delays), with page_of,
// slice_entry_any and the page-map kind (pagemap_kind) checked for the first, last and an
// input-chosen byte of every live span, a tag word at each end of each span, and no overlap.
#include <algorithm>
#include <vector>

#include "config/config.h"
#include "config/inspect.h"
#include "fuzz_common.h"
#include "page/page.h"
#include "segment/segment.h"
#include "segment/inspect.h"

using namespace hm;

namespace {
uint64_t tag(const Span& s) { return reinterpret_cast<uintptr_t>(s.start) * 0x9e3779b97f4a7c15ull; }

void check_span(const Span& s, uint32_t probe) {
  auto start = reinterpret_cast<uintptr_t>(s.start);
  HM_FUZZ_CHECK(start % kSliceSize == 0 && (start & kSegmentMask) != 0);
  HM_FUZZ_CHECK(pagemap_kind(start) == kSegSmall);
  HM_FUZZ_CHECK(static_cast<void*>(page_of(start)) == s.meta);
  HM_FUZZ_CHECK(static_cast<void*>(page_of(start + s.bytes - 1)) == s.meta);
  HM_FUZZ_CHECK(static_cast<void*>(page_of(start + probe % s.bytes)) == s.meta);
  HM_FUZZ_CHECK(span_meta_of(start + (probe >> 7) % s.bytes) == s.meta);
  HM_FUZZ_CHECK(slice_entry_any(start + (probe >> 3) % s.bytes) == s.meta);
  HM_FUZZ_CHECK(span_start(s.meta) == s.start && span_slices(s.meta) == s.bytes / kSliceSize);
  Segment* seg = segment_of(start + probe % s.bytes);
  HM_FUZZ_CHECK(seg == segment_of(start) && seg->magic == (kSegmentMagic ^ reinterpret_cast<uintptr_t>(seg)));
  auto* w = reinterpret_cast<uint64_t*>(s.start);
  HM_FUZZ_CHECK(w[0] == tag(s) && w[s.bytes / 8 - 1] == ~tag(s));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  std::vector<Span> live;
  // The purge delay (HAKMEM_PURGE_DELAY_MS) by the input's length, so the committed inputs keep
  // their meaning: at 0 every span free and idle purge is a tick (aged slices purged, the rest
  // aged), at -1 only the byte bound purges.
  static constexpr long kDelays[4] = {100, 0, 1, -1};
  config_detail::g_config.purge_delay_ms = kDelays[size % 4];
  // HAKMEM_PURGE_REUSE by the length too (0: off, 1: every span, 2: the default): a span taken over
  // freed slices purges them past its first, and no live span's bytes may change for it.
  config_detail::g_config.purge_reuse = static_cast<long>(size / 4 % 3);
  while (in.more() && live.size() < 128) {
    uint8_t op = in.u8();
    if (op % 23 == 20) {  // the idle purge: never more dirty slices, live spans intact (walked below)
      uint64_t dirty = segment_counters().dirty_slices;
      segment_purge_idle();
      HM_FUZZ_CHECK(segment_counters().dirty_slices <= dirty);
    } else if (op % 23 == 21) {  // the fork protocol's lock: the next alloc or free would hang if it stayed held
      segment_lock_all();
      segment_unlock_all();
    } else if (op % 23 == 22) {  // trim: freed slices purged, the spare segment unmapped, live spans intact
      (void)segment_trim();
      HM_FUZZ_CHECK(segment_counters().dirty_slices == 0 && segment_trim() == 0);
    } else if (op % 3 != 2) {
      unsigned slices = 1 + in.u8() % 63;
      Span s = segment_page_alloc(slices);
      HM_FUZZ_CHECK(s.meta && s.bytes == size_t{slices} << kSliceShift);
      auto* w = reinterpret_cast<uint64_t*>(s.start);
      w[0] = tag(s);
      w[s.bytes / 8 - 1] = ~tag(s);
      live.push_back(s);
    } else if (!live.empty()) {
      size_t i = in.u16() % live.size();
      Span s = live[i];
      check_span(s, 0);
      live.erase(live.begin() + static_cast<long>(i));
      segment_page_free(s.meta);
      HM_FUZZ_CHECK(page_of(reinterpret_cast<uintptr_t>(s.start)) == nullptr);
      HM_FUZZ_CHECK(slice_entry_any(reinterpret_cast<uintptr_t>(s.start)) == no_span());
    }
    uint32_t probe = in.u32();
    std::vector<std::pair<uintptr_t, uintptr_t>> r;
    for (const Span& s : live) {
      check_span(s, probe);
      r.emplace_back(reinterpret_cast<uintptr_t>(s.start), reinterpret_cast<uintptr_t>(s.start) + s.bytes);
    }
    std::sort(r.begin(), r.end());
    for (size_t i = 1; i < r.size(); ++i) HM_FUZZ_CHECK(r[i - 1].second <= r[i].first);
    hm_fuzz::check_invariants("segment");
  }
  for (const Span& s : live) segment_page_free(s.meta);
  return 0;
}
