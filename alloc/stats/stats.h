// stats box boundary: per-box counters gathered on demand; printed at exit with HAKMEM_STATS=1.
// Counters are bumped on slow paths only, so the fast lane pays nothing for them.
#pragma once

#include "base.h"

namespace hm {

struct StatsSnapshot {  // one field per row of registry/counters.def
#define HM_HEAP_COUNTER(line, name, label, text) uint64_t name;
#define HM_COUNTER(line, name, label, source, text) uint64_t name;
#include "registry/counters.def"
#undef HM_HEAP_COUNTER
#undef HM_COUNTER
};

StatsSnapshot stats_snapshot();
// Writes the counters, one box per line, to fd (no allocation).
void stats_print(int fd);
// Registers the exit-time print when HAKMEM_STATS=1 (called by the front at start-up).
void stats_init();

}  // namespace hm
