// pagemap box inspection header: what its checker (invariants/pagemap_check.cc), tests and fuzz
// harness see beyond pagemap.h -- the counters, the table under the box's lock, and the table's
// anchor (for seeded corruption).
#pragma once

#include "pagemap/pagemap.h"

namespace hm {

struct PagemapCounters {
  bool reserved;
  uint64_t units[kSegKinds];  // units marked with each kind (units[kSegNone]: 0, unused)
  uint64_t sets;               // pagemap_set calls that changed a unit
};
PagemapCounters pagemap_counters();

// For the checker (invariants/pagemap_check.cc): calls fn once, under the box's lock, with the
// table (nullptr when not reserved), its counters, and the pages of the table (kPageUnits units
// each) ever written, as a bit per page. No unit changes while fn runs.
inline constexpr size_t kPageUnits = 4096;
inline constexpr size_t kMapPages = pagemap_detail::kUnits / kPageUnits;
void pagemap_inspect(void (*fn)(const uint8_t* map, const PagemapCounters& c, const uint64_t* written, void* arg),
                     void* arg);

namespace pagemap_detail {
extern Map g_map HM_HIDDEN;
}  // namespace pagemap_detail

}  // namespace hm
