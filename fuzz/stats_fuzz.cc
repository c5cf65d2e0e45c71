// Fuzz harness of the stats box: stats_snapshot and stats_print around input-driven allocator
// traffic (small and large blocks, flushes). Counters never go down, large allocations and
// frees move by exactly the harness's own count, and stats_print writes the snapshot's numbers.
// The snapshot is checked after each operation; stats_print and the checkers run on the
// cadence and at the end.
#include <unistd.h>

#include <string>
#include <vector>

#include "fuzz_common.h"
#include "fuzz_crew.h"
#include "hakmem/hakmem.h"
#include "stats/stats.h"

using namespace hm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  stats_init();  // idempotent; registers the exit print only with HAKMEM_STATS=1
  StatsSnapshot base = stats_snapshot(), last = base;
  uint64_t large_allocs = 0, large_frees = 0;
  std::vector<void*> large, small;
  hm_fuzz::Cadence cadence;
  auto print_and_check = [] {
    int pfd[2];
    HM_FUZZ_CHECK(pipe(pfd) == 0);
    stats_print(pfd[1]);
    close(pfd[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(pfd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    close(pfd[0]);
    StatsSnapshot again = stats_snapshot();
    HM_FUZZ_CHECK(out.rfind("hakmem stats\n", 0) == 0);
    HM_FUZZ_CHECK(out.find("allocs=" + std::to_string(again.large_allocs) + " ") != std::string::npos);
    hm_fuzz::check_invariants();
  };
  while (in.more() && large.size() < 16 && small.size() < 4096) {
    uint8_t op = in.u8();
    if (op % 4 == 0) {
      void* p = hm_malloc((size_t{128} << 10) + 1 + in.u32() % (size_t{2} << 20));
      HM_FUZZ_CHECK(p != nullptr);
      large.push_back(p), large_allocs++;
    } else if (op % 4 == 1 && !large.empty()) {
      hm_free(large.back()), large.pop_back(), large_frees++;
    } else if (op % 4 == 2) {
      for (unsigned k = in.u8(); k--;) small.push_back(hm_malloc(1 + in.u16() % 4096));
    } else {
      for (void* p : small) hm_free(p);
      small.clear();
      hm_thread_flush();
    }
    StatsSnapshot now = stats_snapshot();
    HM_FUZZ_CHECK(now.large_allocs - base.large_allocs == large_allocs);
    HM_FUZZ_CHECK(now.large_frees - base.large_frees == large_frees);
    HM_FUZZ_CHECK(now.refills >= last.refills && now.os_maps >= last.os_maps && now.spans_alloc >= last.spans_alloc);
    HM_FUZZ_CHECK(now.segments_live == now.segments_mapped - now.segments_unmapped);
    last = now;
    if (cadence.due()) print_and_check();
  }
  print_and_check();
  for (void* p : large) hm_free(p);
  for (void* p : small) hm_free(p);
  return 0;
}
