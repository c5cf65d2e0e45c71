// pagemap box boundary: the kind of every 4 MiB unit of the address space, one byte per unit in
// one table. The table (32 MiB of address space for 47-bit user space) is reserved on first use,
// not at load, and only its pages that describe units in use ever become resident.
//
//   address --(>> 22)--> kind: none, small segment, large mapping, large block above its header
//
// A lookup is one byte load and no branch: a unit past the bound reads the byte at the bound
// instead, which is never marked (the table has one byte past its last unit). Until the table
// is reserved the bound is 0 and the base a single zero byte, so every lookup answers kSegNone.
// The segment box registers its segments here, the large box its mappings; the free fast lane
// reads one byte (segment.h, slice_entry_any).
#pragma once

#include "base.h"

namespace hm {

enum SegKind : uint8_t {
  kSegNone = 0,
  kSegSmall = 1,       // a segment of page spans
  kSegLarge = 2,       // a large mapping whose header sits at the start of this 4 MiB unit
  kSegLargeAbove = 3,  // a large block starting this unit; its header is one unit below
};
inline constexpr unsigned kSegKinds = 4;

namespace pagemap_detail {
inline constexpr size_t kUnits = size_t{1} << (kAddressBits - kSegmentShift);
// One cache line read by every lookup: the table and the units it covers (until reserved: a
// zero byte and 0). base[limit] is always kSegNone.
struct alignas(64) Map {
  const uint8_t* base;
  uintptr_t limit;
};
extern Map g_map HM_HIDDEN;  // hidden: read straight, not through the GOT
}  // namespace pagemap_detail

// The kind of the unit holding p; kSegNone outside the table or before it is reserved.
HM_FAST_PATH uint8_t pagemap_kind(uintptr_t p) {
  uintptr_t unit = p >> kSegmentShift;
  // The bound first (acquire): a reader that sees it sees the table it bounds.
  uintptr_t limit = __atomic_load_n(&pagemap_detail::g_map.limit, __ATOMIC_ACQUIRE);
  const uint8_t* base = __atomic_load_n(&pagemap_detail::g_map.base, __ATOMIC_RELAXED);
  unit = unit < limit ? unit : limit;  // a select, not a branch
  return __atomic_load_n(base + unit, __ATOMIC_RELAXED);
}

// Reserves the table once (thread-safe; later calls return at once). False when the kernel
// gives no room: the caller's allocation fails (ENOMEM) and nothing is marked.
bool pagemap_reserve();

// Marks the unit starting at unit_start (4 MiB aligned) with kind. A kind other than kSegNone
// needs a reserved table (pagemap_reserve() returned true); kSegNone on a table not reserved is
// a no-op. Stores with release order: a lookup that sees the kind sees what the caller wrote
// before (a segment's header, a large header).
void pagemap_set(uintptr_t unit_start, uint8_t kind);

// fork(): taken before, released after in parent and child (after the segment and large locks).
void pagemap_lock_all();
void pagemap_unlock_all();

}  // namespace hm
