// Fuzz harness of the pagemap box: pagemap_set of input-chosen kinds on input-chosen units of a
// range the harness owns (each unit first given what its kind says: a segment magic and slice
// table, a large header, a large header one unit below), pagemap_reserve, and pagemap_kind and
// the free lane's slice_entry_any at input-chosen addresses of every unit and beyond the table,
// all checked against a model of the kinds, the box's counters and INV-PAGEMAP-1.
#include "fuzz_common.h"
#include "large/large.h"
#include "os/os.h"
#include "pagemap/pagemap.h"
#include "pagemap/inspect.h"
#include "segment/segment.h"

using namespace hm;

namespace {

constexpr unsigned kUnits = 8;
unsigned char g_entry[kUnits];

uintptr_t range() {  // mapped once, kept for every input
  static uintptr_t base = reinterpret_cast<uintptr_t>(os_map_aligned(kUnits * kSegmentSize, kSegmentSize));
  HM_FUZZ_CHECK(base != 0);
  return base;
}

void dress(uintptr_t base, unsigned i, uint8_t k) {
  uintptr_t a = base + i * kSegmentSize;
  if (k == kSegSmall) {
    auto* seg = reinterpret_cast<Segment*>(a);
    seg->magic = kSegmentMagic ^ a;
    for (unsigned s = 0; s < kSlicesPerSegment; ++s) seg->slice_meta[s] = s % 3 ? &g_entry[i] : no_span();
  } else if (k == kSegLarge) {
    reinterpret_cast<LargeHeader*>(a)->offset = 64 + 16 * i;
  } else if (k == kSegLargeAbove) {
    reinterpret_cast<LargeHeader*>(a - kSegmentSize)->offset = kSegmentSize;
  }
}

void check(const uint8_t* kind, uintptr_t base, const PagemapCounters& before, uint32_t probe) {
  uint64_t n[kSegKinds] = {};
  for (unsigned i = 0; i < kUnits; ++i) {
    n[kind[i]]++;
    uintptr_t p = base + i * kSegmentSize + probe % kSegmentSize;
    HM_FUZZ_CHECK(pagemap_kind(p) == kind[i]);
    unsigned slice = static_cast<unsigned>((p >> kSliceShift) & (kSlicesPerSegment - 1));
    const void* want = kind[i] == kSegSmall && slice % 3 ? static_cast<const void*>(&g_entry[i]) : no_span();
    HM_FUZZ_CHECK(slice_entry_any(p) == want);
  }
  PagemapCounters c = pagemap_counters();
  for (unsigned k = 1; k < kSegKinds; ++k) HM_FUZZ_CHECK(c.units[k] == before.units[k] + n[k]);
  uintptr_t outside = (uintptr_t{1} << kAddressBits) + (uintptr_t{probe} << 12);
  HM_FUZZ_CHECK(pagemap_kind(outside) == kSegNone && slice_entry_any(outside) == no_span());
  hm_fuzz::check_invariants("pagemap");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  HM_FUZZ_CHECK(pagemap_reserve());
  uintptr_t base = range();
  PagemapCounters before = pagemap_counters();
  uint8_t kind[kUnits] = {};
  while (in.more()) {
    uint8_t op = in.u8();
    unsigned i = in.u8() % kUnits;
    if (op == 0xff) {  // the fork protocol's lock: the next mark would hang if it stayed held
      pagemap_lock_all();
      HM_FUZZ_CHECK(pagemap_kind(base + i * kSegmentSize) == kind[i]);  // lookups take no lock
      pagemap_unlock_all();
    } else if (op % 4 == 3) {  // clear, the block's unit (large-above) before its header's
      if (kind[i] != kSegNone && !(i + 1 < kUnits && kind[i + 1] == kSegLargeAbove)) {
        pagemap_set(base + i * kSegmentSize, kSegNone);
        kind[i] = kSegNone;
      }
    } else {
      uint8_t k = static_cast<uint8_t>(1 + op % 4);  // small, large or large-above
      bool above_ok = i > 0 && kind[i - 1] == kSegNone;
      if (kind[i] == kSegNone && (k != kSegLargeAbove || above_ok)) {
        dress(base, i, k);
        if (k == kSegLargeAbove) {
          pagemap_set(base + (i - 1) * kSegmentSize, kSegLarge);
          kind[i - 1] = kSegLarge;
        }
        HM_FUZZ_CHECK(pagemap_reserve());
        pagemap_set(base + i * kSegmentSize, k);
        kind[i] = k;
      }
    }
    check(kind, base, before, in.u32());
  }
  for (unsigned i = kUnits; i-- > 0;) pagemap_set(base + i * kSegmentSize, kSegNone);
  PagemapCounters after = pagemap_counters();
  for (unsigned k = 1; k < kSegKinds; ++k) HM_FUZZ_CHECK(after.units[k] == before.units[k]);
  return 0;
}
