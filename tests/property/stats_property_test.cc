// Property test of the stats box: stats_snapshot and stats_print.
//
// Model: the counters the test's own operations must move (large allocations and frees,
// live large bytes) and monotonic counters that never go down. After every command a fresh
// snapshot has moved exactly as the model says, segment counts are consistent, and
// stats_print writes the snapshot's numbers, one box per line.
#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "hakmem/hakmem.h"
#include "property_common.h"
#include "stats/stats.h"

namespace {

using namespace hm;

struct Model {
  uint64_t large_allocs = 0, large_frees = 0, small_live = 0;
  std::vector<size_t> live;  // sizes of the large blocks this test holds
};
struct Sut {
  StatsSnapshot base{}, last{};
  std::vector<void*> large, small;
};
using Cmd = rc::state::Command<Model, Sut>;

std::string printed() {
  int pfd[2];
  if (pipe(pfd) != 0) return "";
  stats_print(pfd[1]);
  close(pfd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(pfd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(pfd[0]);
  return out;
}

void check_all(const Model& m, Sut& s) {
  StatsSnapshot now = stats_snapshot();
  RC_ASSERT(now.large_allocs - s.base.large_allocs == m.large_allocs);
  RC_ASSERT(now.large_frees - s.base.large_frees == m.large_frees);
  // Monotonic counters.
  RC_ASSERT(now.refills >= s.last.refills);
  RC_ASSERT(now.os_maps >= s.last.os_maps);
  RC_ASSERT(now.segments_mapped >= s.last.segments_mapped);
  RC_ASSERT(now.spans_alloc >= s.last.spans_alloc);
  RC_ASSERT(now.segments_live == now.segments_mapped - now.segments_unmapped);
  RC_ASSERT(now.large_allocs == now.large_cache_hits + now.large_cache_misses);
  s.last = now;
  // stats_print shows the same numbers (nothing allocates between the two reads).
  std::string out = printed();
  StatsSnapshot again = stats_snapshot();
  RC_ASSERT(out.rfind("hakmem stats\n", 0) == 0);
  for (const char* box : {"tcache:", "page:", "remote:", "segment:", "large:", "os:"})
    RC_ASSERT(out.find(box) != std::string::npos);
  RC_ASSERT(out.find("allocs=" + std::to_string(again.large_allocs) + " ") != std::string::npos);
  RC_ASSERT(out.find("frees=" + std::to_string(again.large_frees) + " ") != std::string::npos);
  RC_ASSERT(out.find("maps=" + std::to_string(again.os_maps) + " ") != std::string::npos);
  hm_prop::check_invariants();
}

struct LargeAlloc : Cmd {
  size_t size = *rc::gen::inRange<size_t>((size_t{128} << 10) + 1, size_t{2} << 20);
  void apply(Model& m) const override { m.large_allocs++, m.live.push_back(size); }
  void run(const Model& m, Sut& s) const override {
    void* p = hm_malloc(size);
    RC_ASSERT(bool(p != nullptr));
    s.large.push_back(p);
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "malloc(" << size << ")"; }
};
struct LargeFree : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.live.empty()); }
  void apply(Model& m) const override {
    m.large_frees++;
    m.live.erase(m.live.begin() + static_cast<long>(pick % m.live.size()));
  }
  void run(const Model& m, Sut& s) const override {
    size_t i = pick % s.large.size();
    hm_free(s.large[i]);
    s.large.erase(s.large.begin() + static_cast<long>(i));
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "free_large(#" << pick << ")"; }
};
struct Small : Cmd {
  size_t n = *rc::gen::inRange<size_t>(1, 200);
  size_t size = *rc::gen::inRange<size_t>(1, size_t{128} << 10);
  void run(const Model& m, Sut& s) const override {
    for (size_t k = 0; k < n; ++k) s.small.push_back(hm_malloc(size));
    for (void* p : s.small) hm_free(p);
    s.small.clear();
    hm_thread_flush();
    check_all(m, s);
  }
  void show(std::ostream& os) const override { os << "small_churn(" << n << " x " << size << ")"; }
};

// stats_init registers the exit-time print only when HAKMEM_STATS=1: here (unset) it prints
// nothing and moves no counter the model tracks.
struct Init : Cmd {
  void run(const Model& m, Sut& s) const override {
    int pfd[2];
    RC_ASSERT(pipe(pfd) == 0);
    int saved = dup(2);
    dup2(pfd[1], 2);
    stats_init();
    dup2(saved, 2);
    close(saved);
    close(pfd[1]);
    fcntl(pfd[0], F_SETFL, O_NONBLOCK);
    char c;
    RC_ASSERT(read(pfd[0], &c, 1) <= 0);
    close(pfd[0]);
    check_all(m, s);
  }
  void show(std::ostream& os) const override { os << "stats_init()"; }
};

RC_GTEST_PROP(StatsProperty, CountersMatchOperationModel, ()) {
  Model m;
  Sut s;
  s.base = s.last = stats_snapshot();
  rc::state::check(m, s, rc::state::gen::execOneOfWithArgs<LargeAlloc, LargeFree, Small, Init>());
  for (void* p : s.large) hm_free(p);
}

}  // namespace
