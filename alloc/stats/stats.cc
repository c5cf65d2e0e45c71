// stats box: reads every box's counters; formats with snprintf into a stack buffer.
#include "stats/stats.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "config/config.h"
#include "heap/heap.h"
#include "large/large.h"
#include "os/os.h"
#include "remote/remote.h"
#include "segment/segment.h"
#include "transfer/transfer.h"

namespace hm {
namespace {

uint64_t live_heaps() {
  uint64_t live = 0;
  heap_for_each([](Heap*, void* arg) { ++*static_cast<uint64_t*>(arg); }, &live);
  return live;
}

uint64_t large_cached_bytes() { return large_cache_for_each([](LargeHeader*, void*) {}, nullptr, nullptr); }

// Each snapshot field with its stats line and label, in the registry's order.
struct Field {
  uint64_t StatsSnapshot::*value;
  const char* line;
  const char* label;
};
constexpr Field kFields[] = {
#define HM_HEAP_COUNTER(line, name, label, text) {&StatsSnapshot::name, #line, #label},
#define HM_COUNTER(line, name, label, source, text) {&StatsSnapshot::name, #line, #label},
#include "registry/counters.def"
#undef HM_HEAP_COUNTER
#undef HM_COUNTER
};

}  // namespace

StatsSnapshot stats_snapshot() {
  StatsSnapshot s{};
  HeapCounters h = heap_counters_total();
  SegmentCounters sc = segment_counters();
  auto& l = large_counters();
  auto& o = os_counters();
#define HM_HEAP_COUNTER(line, name, label, text) s.name = h.name;
#define HM_COUNTER(line, name, label, source, text) s.name = (source);
#include "registry/counters.def"
#undef HM_HEAP_COUNTER
#undef HM_COUNTER
  return s;
}

// "hakmem stats", then a line per box: "  <box>: label=value ..." (snprintf into a stack buffer:
// no allocation, so it can run at exit and inside a report).
void stats_print(int fd) {
  StatsSnapshot s = stats_snapshot();
  char buf[2048];
  size_t n = 0;
  auto took = [&](int k) {
    if (k > 0) n += static_cast<size_t>(k) < sizeof buf - n ? static_cast<size_t>(k) : sizeof buf - n - 1;
  };
  took(std::snprintf(buf, sizeof buf, "hakmem stats"));
  const char* line = "";
  for (const Field& f : kFields) {
    if (std::strcmp(f.line, line) != 0) took(std::snprintf(buf + n, sizeof buf - n, "\n  %s:", line = f.line));
    took(std::snprintf(buf + n, sizeof buf - n, " %s=%llu", f.label, static_cast<unsigned long long>(s.*f.value)));
  }
  took(std::snprintf(buf + n, sizeof buf - n, "\n"));
  (void)!::write(fd, buf, n);
}
void stats_init() {
  if (config().stats) std::atexit([] { stats_print(2); });
}

}  // namespace hm
