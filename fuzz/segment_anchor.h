// Keeps the memory of the allocator's segments mapped and faulted in across the inputs of a
// harness whose boxes start heaps, refill and trim every input (tcache, front).
//
// Left alone, an input's heaps give their pages back at its end, the segments fall empty and are
// unmapped (the segment box keeps one spare), and the next input maps them again and takes a page
// fault, a cleared page and fresh ASan shadow for every page it touches: the kernel's work, not
// the boxes'. anchor_segments(n) makes one ownerless page (as the transfer harness keeps) in each
// of the first n segments, once per process, so those segments never fall empty; and raises
// HAKMEM_PURGE_MB to 1 GiB and turns the purge by age off (HAKMEM_PURGE_DELAY_MS -1), so freed
// spans stay resident instead of being purged (hm_trim still purges them: the front harness's
// trims do). The level-2 checkers walk every
// segment on the cadence, so a harness anchors about as many as its inputs fill (tcache 16,
// front 4). Inputs still make and delete every page they use (page_new, page_delete), and an
// input that needs more segments still maps and unmaps new ones; segment mapping, the spare
// segment and the purge are the segment harness's subject (fuzz/segment_fuzz.cc).
#pragma once

#include <cstddef>
#include <vector>

#include "config/config.h"
#include "fuzz_common.h"
#include "page/page.h"
#include "segment/segment.h"

namespace hm_fuzz {

inline constexpr long kAnchoredPurgeMb = 1024;

inline void anchor_segments(size_t n) {
  static bool done = false;
  if (done) return;
  done = true;
  hm::config_detail::g_config.purge_mb = kAnchoredPurgeMb;
  hm::config_detail::g_config.purge_delay_ms = -1;
  std::vector<hm::Page*> spare;
  std::vector<uintptr_t> segs;
  while (segs.size() < n) {
    hm::Page* pg = hm::page_new(0, nullptr);
    HM_FUZZ_CHECK(pg != nullptr);
    auto seg = reinterpret_cast<uintptr_t>(hm::segment_of(reinterpret_cast<uintptr_t>(pg->start)));
    bool known = false;
    for (uintptr_t s : segs) known = known || s == seg;
    if (known) spare.push_back(pg);
    else segs.push_back(seg);  // the anchor: never deleted
  }
  for (hm::Page* pg : spare) hm::page_delete(pg);
}

}  // namespace hm_fuzz
