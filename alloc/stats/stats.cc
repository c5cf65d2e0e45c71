// stats box: reads every box's counters; formats with snprintf into a stack buffer.
#include "stats/stats.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "config/config.h"
#include "large/large.h"
#include "os/os.h"
#include "remote/remote.h"
#include "segment/segment.h"
#include "tcache/tcache.h"
#include "transfer/transfer.h"

namespace hm {

StatsSnapshot stats_snapshot() {
  StatsSnapshot s{};
  uint64_t live = 0;
  heap_for_each([](Heap*, void* arg) { ++*static_cast<uint64_t*>(arg); }, &live);
  HeapCounters h = heap_counters_total();
  s.heaps_live = live;
  s.refills = h.refills;
  s.flushes = h.flushes;
  s.blocks_flushed = h.blocks_flushed;
  s.remote_flushed = h.remote_flushed;
  s.pages_new = h.pages_new;
  s.pages_adopted = h.pages_adopted;
  s.pages_freed = h.pages_freed;
  s.pages_abandoned = h.pages_abandoned;
  s.pages_pooled = h.pages_pooled;
  s.abandoned_now = abandoned_page_count();
  s.remote_pushes = h.remote_pushes;
  s.remote_blocks = h.remote_flushed;
  s.remote_collects = h.remote_collects;
  s.remote_collected = h.remote_collected;
  s.transfer_puts = h.transfer_puts;
  s.transfer_takes = h.transfer_takes;
  s.transfer_bytes = transfer_bytes();
  SegmentCounters sc = segment_counters();
  s.segments_mapped = sc.segments_mapped;
  s.segments_unmapped = sc.segments_unmapped;
  s.segments_live = sc.live_segments;
  s.spans_alloc = sc.spans_alloc;
  s.spans_free = sc.spans_free;
  auto& l = large_counters();
  s.large_allocs = l.allocs.load();
  s.large_frees = l.frees.load();
  s.large_cache_hits = l.cache_hits.load();
  s.large_cache_misses = l.cache_misses.load();
  s.large_unmaps = l.unmaps.load();
  s.large_live_bytes = l.live_bytes.load();
  s.large_cached_bytes = large_cache_for_each([](LargeHeader*, void*) {}, nullptr, nullptr);
  auto& o = os_counters();
  s.os_maps = o.maps.load();
  s.os_unmaps = o.unmaps.load();
  s.os_purges = o.purges.load();
  s.os_mapped_bytes = o.mapped_bytes.load();
  s.os_unmapped_bytes = o.unmapped_bytes.load();
  s.os_purged_bytes = o.purged_bytes.load();
  return s;
}

void stats_print(int fd) {
  StatsSnapshot s = stats_snapshot();
  char buf[2048];
  using u = unsigned long long;
  int n = std::snprintf(
      buf, sizeof buf,
      "hakmem stats\n"
      "  tcache:  heaps=%llu refills=%llu flushes=%llu flushed=%llu remote_flushed=%llu\n"
      "  page:    new=%llu adopted=%llu freed=%llu abandoned=%llu abandoned_now=%llu pooled=%llu\n"
      "  remote:  pushes=%llu blocks=%llu collects=%llu collected=%llu\n"
      "  transfer: puts=%llu takes=%llu bytes=%llu\n"
      "  segment: mapped=%llu unmapped=%llu live=%llu spans_alloc=%llu spans_free=%llu\n"
      "  large:   allocs=%llu frees=%llu cache_hits=%llu cache_misses=%llu unmaps=%llu live_bytes=%llu "
      "cached_bytes=%llu\n"
      "  os:      maps=%llu unmaps=%llu purges=%llu mapped_bytes=%llu unmapped_bytes=%llu purged_bytes=%llu\n",
      u(s.heaps_live), u(s.refills), u(s.flushes), u(s.blocks_flushed), u(s.remote_flushed), u(s.pages_new),
      u(s.pages_adopted), u(s.pages_freed), u(s.pages_abandoned), u(s.abandoned_now), u(s.pages_pooled), u(s.remote_pushes),
      u(s.remote_blocks), u(s.remote_collects), u(s.remote_collected), u(s.transfer_puts), u(s.transfer_takes),
      u(s.transfer_bytes), u(s.segments_mapped),
      u(s.segments_unmapped), u(s.segments_live), u(s.spans_alloc), u(s.spans_free), u(s.large_allocs),
      u(s.large_frees), u(s.large_cache_hits), u(s.large_cache_misses), u(s.large_unmaps),
      u(s.large_live_bytes), u(s.large_cached_bytes), u(s.os_maps), u(s.os_unmaps), u(s.os_purges),
      u(s.os_mapped_bytes), u(s.os_unmapped_bytes), u(s.os_purged_bytes));
  if (n > 0) (void)!::write(fd, buf, static_cast<size_t>(n) < sizeof buf ? static_cast<size_t>(n) : sizeof buf - 1);
}

void stats_init() {
  if (config().stats) std::atexit([] { stats_print(2); });
}

}  // namespace hm
