// invariants/: the pagemap box. INV-PAGEMAP-1, under the box's lock (no unit changes meanwhile):
// every byte of the pages of the map the box has written is a kind; the units of each kind
// number as the box's counters say (a byte written past pagemap_set shows here, before any
// unit is read); then each marked unit holds what its kind says: a small unit a segment
// carrying its magic, a large unit a header whose block offset lies within the unit above at
// most, a large-above unit a large unit below it whose header's block starts it. The segment
// and large boxes clear a unit before they unmap it and mark it after they wrote its header,
// so every unit read here is mapped. Fields a header changes while marked (magic, sizes) are
// INV-LARGE-1's, checked by the large box's owner and cache walks.
#include <cstring>

#include "check.h"
#include "large/large.h"
#include "pagemap/pagemap.h"
#include "pagemap/inspect.h"
#include "segment/segment.h"

namespace hm::check {
namespace {

Where at_unit(uintptr_t unit) {
  Where w;
  w.addr = reinterpret_cast<const void*>(unit << kSegmentShift);
  return w;
}

// Calls fn(unit, kind) for every marked unit of the written pages until it returns false: the
// written bits a word (64 table pages) at a time, each written page eight units at a time.
template <class Fn>
bool each_marked(const uint8_t* map, const uint64_t* bits, Fn fn) {
  static_assert(kMapPages % 64 == 0 && kPageUnits % 64 == 0);
  for (size_t w = 0; w < kMapPages / 64; ++w) {
    for (uint64_t set = bits[w]; set; set &= set - 1) {
      size_t page = w * 64 + static_cast<size_t>(__builtin_ctzll(set));
      const uint8_t* p = map + page * kPageUnits;
      for (size_t i = 0; i < kPageUnits; i += 64) {  // 64 units at a time: most are unmarked
        typedef uint64_t V2 __attribute__((vector_size(16)));
        V2 v[4];
        std::memcpy(v, p + i, sizeof v);
        V2 any = (v[0] | v[1]) | (v[2] | v[3]);
        if (!(any[0] | any[1])) continue;
        for (size_t j = 0; j < 64; ++j)
          if (p[i + j] && !fn(page * kPageUnits + i + j, p[i + j])) return false;
      }
    }
  }
  return true;
}

bool check_unit(Sink& s, const uint8_t* map, uintptr_t unit, uint8_t kind) {
  uintptr_t a = unit << kSegmentShift;
  if (kind == kSegSmall) {
    auto* seg = reinterpret_cast<const Segment*>(a);
    if (seg->magic == (kSegmentMagic ^ a)) return true;
    Where w = at_unit(unit);
    w.segment = seg;
    return s.fail(registry::InvId::pagemap_units, w, "segment magic of a small unit", kSegmentMagic ^ a, seg->magic, true);
  }
  if (kind == kSegLarge) {
    auto* h = reinterpret_cast<const LargeHeader*>(a);
    if (h->offset >= 64 && h->offset <= kSegmentSize && h->offset % kMinAlign == 0) return true;
    return s.fail(registry::InvId::pagemap_units, at_unit(unit), "large header offset (64..4 MiB, 16-aligned)", 64,
                  h->offset);
  }
  // kSegLargeAbove: the header is the unit below, its block this unit's start.
  if (unit == 0 || map[unit - 1] != kSegLarge)
    return s.fail(registry::InvId::pagemap_units, at_unit(unit), "kind of the unit below a large-above unit", kSegLarge,
                  unit ? map[unit - 1] : uint8_t{kSegNone});
  auto* h = reinterpret_cast<const LargeHeader*>(a - kSegmentSize);
  if (h->offset == kSegmentSize) return true;
  return s.fail(registry::InvId::pagemap_units, at_unit(unit), "block offset of the header below a large-above unit",
                kSegmentSize, h->offset);
}

void inspect(const uint8_t* map, const PagemapCounters& c, const uint64_t* bits, void* arg) {
  Sink& s = *static_cast<Sink*>(arg);
  Where at_map;
  at_map.addr = map;
  if (!map) {  // nothing may be marked before the map is reserved
    for (unsigned k = 1; k < kSegKinds; ++k)
      if (c.units[k]) {
        s.fail(registry::InvId::pagemap_units, at_map, "units marked before the map is reserved", 0, c.units[k]);
        return;
      }
    return;
  }
  uint64_t n[kSegKinds] = {};
  unsigned bad = 256;  // the smallest kind past the last one that is marked, 256: none
  each_marked(map, bits, [&](uintptr_t, uint8_t kind) {
    if (kind < kSegKinds) ++n[kind];
    else if (kind < bad) bad = kind;
    return true;
  });
  if (bad < 256) {
    s.fail(registry::InvId::pagemap_units, at_map, "unit kind at most", kSegKinds - 1, bad);
    return;
  }
  static constexpr const char* kWhat[kSegKinds] = {"", "units marked small", "units marked large",
                                                   "units marked large-above"};
  for (unsigned k = 1; k < kSegKinds; ++k)
    if (n[k] != c.units[k]) {
      s.fail(registry::InvId::pagemap_units, at_map, kWhat[k], c.units[k], n[k]);
      return;
    }
  each_marked(map, bits, [&](uintptr_t unit, uint8_t kind) { return check_unit(s, map, unit, kind); });
}

}  // namespace

void check_pagemap(Sink& s) { pagemap_inspect(inspect, &s); }

}  // namespace hm::check
