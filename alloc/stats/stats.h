// stats box boundary: per-box counters gathered on demand; printed at exit with HAKMEM_STATS=1.
// Counters are bumped on slow paths only, so the fast lane pays nothing for them.
#pragma once

#include "base.h"

namespace hm {

struct StatsSnapshot {
  // tcache
  uint64_t heaps_live, refills, flushes, blocks_flushed, remote_flushed, pages_new, pages_adopted, pages_freed,
      pages_abandoned, abandoned_now, pages_pooled;
  // remote
  uint64_t remote_pushes, remote_blocks, remote_collects, remote_collected;
  // transfer
  uint64_t transfer_puts, transfer_takes, transfer_bytes;
  // segment
  uint64_t segments_mapped, segments_unmapped, segments_live, spans_alloc, spans_free;
  // large
  uint64_t large_allocs, large_frees, large_cache_hits, large_cache_misses, large_unmaps, large_live_bytes,
      large_cached_bytes;
  // os
  uint64_t os_maps, os_unmaps, os_purges, os_mapped_bytes, os_unmapped_bytes, os_purged_bytes;
};

StatsSnapshot stats_snapshot();
// Writes the counters, one box per line, to fd (no allocation).
void stats_print(int fd);
// Registers the exit-time print when HAKMEM_STATS=1 (called by the front at start-up).
void stats_init();

}  // namespace hm
