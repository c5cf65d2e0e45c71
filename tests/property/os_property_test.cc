// Property test of the os box: os_map_aligned, os_unmap, os_purge, os_page_size, against a
// model of mapped regions (start alignment, size, a fill seed per page, purged pages).
//
// After every command each mapped region is aligned as asked, its untouched pages read zero,
// its written pages keep their fill, purged pages read zero again, and unmapped ranges are
// gone (msync, right after the unmap, reports ENOMEM).
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include <vector>

#include <algorithm>
#include "os/os.h"
#include "property_common.h"

namespace {

using namespace hm;

struct Region {
  size_t pages, align;
  std::vector<int> seed;  // per page: -1 never written (or purged), else the fill seed
};
struct Model {
  std::vector<Region> regions;
};
struct Sut {
  std::vector<uint8_t*> starts;
  std::vector<size_t> bytes;
};
using Cmd = rc::state::Command<Model, Sut>;

bool page_is(const uint8_t* p, int seed) {
  size_t ps = os_page_size();
  // Sampled: every 64th byte and the last one.
  for (size_t i = 0; i < ps; i += 64)
    if (p[i] != (seed < 0 ? 0 : hm_prop::pattern(static_cast<uint8_t>(seed), i))) return false;
  return p[ps - 1] == (seed < 0 ? 0 : hm_prop::pattern(static_cast<uint8_t>(seed), ps - 1));
}
void write_page(uint8_t* p, uint8_t seed) {
  size_t ps = os_page_size();
  for (size_t i = 0; i < ps; i += 64) p[i] = hm_prop::pattern(seed, i);
  p[ps - 1] = hm_prop::pattern(seed, ps - 1);
}

void check_all(const Model& m, Sut& s) {
  RC_ASSERT(os_page_size() == static_cast<size_t>(sysconf(_SC_PAGESIZE)));
  // The purge delays' clock: never 0, never backwards, and it follows CLOCK_MONOTONIC (coarse:
  // within a few ticks of it).
  static uint64_t last = 0;
  uint64_t now = os_now_ms();
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  uint64_t mono = static_cast<uint64_t>(t.tv_sec) * 1000 + static_cast<uint64_t>(t.tv_nsec) / 1000000 + 1;
  RC_ASSERT(now != 0u);
  RC_ASSERT(now >= last);
  RC_ASSERT(now <= mono && mono - now < 100);
  last = now;
  RC_ASSERT(m.regions.size() == s.starts.size());
  for (size_t i = 0; i < s.starts.size(); ++i) {
    const Region& r = m.regions[i];
    RC_ASSERT(reinterpret_cast<uintptr_t>(s.starts[i]) % r.align == 0);
    for (size_t pg = 0; pg < r.pages; ++pg) RC_ASSERT(page_is(s.starts[i] + pg * os_page_size(), r.seed[pg]));
  }
  hm_prop::check_invariants("os");
}

struct Map : Cmd {
  size_t pages = *rc::gen::inRange<size_t>(1, 300);
  size_t align = size_t{1} << *rc::gen::inRange(12, 24);
  bool hinted = *rc::gen::arbitrary<bool>();  // HAKMEM_MAP_HINT's region first
  void apply(Model& m) const override { m.regions.push_back({pages, align, std::vector<int>(pages, -1)}); }
  void run(const Model& m, Sut& s) const override {
    uint64_t maps = os_counters().maps.load();
    // Page alignment is what os_map gives; larger ones need os_map_aligned.
    auto* p = static_cast<uint8_t*>(align == 4096 ? os_map(pages * os_page_size())
                                                  : os_map_aligned(pages * os_page_size(), align, hinted));
    RC_ASSERT(bool(p != nullptr));
    RC_ASSERT(os_counters().maps.load() > maps);
    s.starts.push_back(p);
    s.bytes.push_back(pages * os_page_size());
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override {
    os << "os_map_aligned(" << pages << " pages, " << align << (hinted ? ", hinted)" : ")");
  }
};

struct Write : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  size_t first = *rc::gen::arbitrary<size_t>();
  size_t count = *rc::gen::inRange<size_t>(1, 40);
  uint8_t seed = *rc::gen::arbitrary<uint8_t>();
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.regions.empty()); }
  void apply(Model& m) const override {
    Region& r = m.regions[pick % m.regions.size()];
    for (size_t k = 0, pg = first % r.pages; k < count && pg < r.pages; ++k, ++pg) r.seed[pg] = seed;
  }
  void run(const Model& m, Sut& s) const override {
    size_t i = pick % m.regions.size();
    const Region& r = m.regions[i];
    for (size_t k = 0, pg = first % r.pages; k < count && pg < r.pages; ++k, ++pg)
      write_page(s.starts[i] + pg * os_page_size(), seed);
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "write(#" << pick << ", " << count << " pages)"; }
};

struct Purge : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  size_t first = *rc::gen::arbitrary<size_t>();
  size_t count = *rc::gen::inRange<size_t>(1, 64);
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.regions.empty()); }
  void apply(Model& m) const override {
    Region& r = m.regions[pick % m.regions.size()];
    for (size_t k = 0, pg = first % r.pages; k < count && pg < r.pages; ++k, ++pg) r.seed[pg] = -1;
  }
  void run(const Model& m, Sut& s) const override {
    size_t i = pick % m.regions.size();
    const Region& r = m.regions[i];
    size_t pg = first % r.pages, n = std::min(count, r.pages - pg);
    os_purge(s.starts[i] + pg * os_page_size(), n * os_page_size());
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "os_purge(#" << pick << ", " << count << " pages)"; }
};

struct Unmap : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.regions.empty()); }
  void apply(Model& m) const override { m.regions.erase(m.regions.begin() + static_cast<long>(pick % m.regions.size())); }
  void run(const Model& m, Sut& s) const override {
    size_t i = pick % m.regions.size();
    size_t bytes = m.regions[i].pages * os_page_size();
    os_unmap(s.starts[i], bytes);
    // Checked at once: any allocation (ASan's allocator maps memory) could reuse the range.
    errno = 0;
    int rc = msync(s.starts[i], bytes, MS_ASYNC);
    int err = errno;
    RC_ASSERT(rc == -1);
    RC_ASSERT(err == ENOMEM);
    s.starts.erase(s.starts.begin() + static_cast<long>(i));
    s.bytes.erase(s.bytes.begin() + static_cast<long>(i));
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "os_unmap(#" << pick << ")"; }
};

// os_remap: a mapping of any size with pages written at any places, moved to an aligned range
// of any size at least as large, reads there as it read before (written bytes kept, the rest
// zero, the grown part zero), and its old range is gone from the process's mappings.
RC_GTEST_PROP(OsProperty, RemapKeepsPagesAndMovesTheRange, ()) {
  const size_t ps = os_page_size();
  size_t pages = *rc::gen::inRange<size_t>(1, 64);
  size_t grow = *rc::gen::inRange<size_t>(0, 64);
  auto written = *rc::gen::container<std::vector<size_t>>(rc::gen::inRange<size_t>(0, pages));
  auto* p = static_cast<uint8_t*>(os_map_aligned(pages * ps, size_t{1} << 22));
  RC_ASSERT(bool(p));
  for (size_t i : written) p[i * ps + 7] = static_cast<uint8_t>(i + 1);
  auto* to = static_cast<uint8_t*>(os_map_aligned((pages + grow) * ps, size_t{1} << 22));
  RC_ASSERT(bool(to));
  RC_ASSERT(bool(os_remap(p, pages * ps, (pages + grow) * ps, to) == to));
  for (size_t i = 0; i < pages + grow; ++i) {
    bool w = i < pages && std::find(written.begin(), written.end(), i) != written.end();
    RC_ASSERT(to[i * ps + 7] == (w ? static_cast<uint8_t>(i + 1) : 0));
  }
  unsigned char vec = 0;
  RC_ASSERT(mincore(p, ps, &vec) == -1 && errno == ENOMEM);  // the old range is unmapped
  os_unmap(to, (pages + grow) * ps);
}

// os_extend: a mapping with pages written at any places grows where it is when the range after
// it is free (its pages kept, the new ones zero), and changes nothing when it is not; so does a
// mapping whose last pages were moved in from another one by os_remap (two pieces, as a large
// block that took cached pages is).
RC_GTEST_PROP(OsProperty, ExtendGrowsInPlaceOrLeavesTheMapping, ()) {
  const size_t ps = os_page_size();
  size_t pages = *rc::gen::inRange<size_t>(1, 64);
  size_t grow = *rc::gen::inRange<size_t>(1, 64);
  bool blocked = *rc::gen::arbitrary<bool>();
  auto written = *rc::gen::container<std::vector<size_t>>(rc::gen::inRange<size_t>(0, pages));
  // A range of pages + grow + 1 pages, cut back to `pages`: the range after it is free (or holds
  // a page of another mapping when blocked).
  auto* p = static_cast<uint8_t*>(os_map_aligned((pages + grow + 1) * ps, size_t{1} << 22));
  RC_ASSERT(bool(p));
  os_unmap(p + pages * ps, (grow + 1) * ps);
  void* wall = blocked ? mmap(p + (pages + grow - 1) * ps, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)
                       : nullptr;
  RC_ASSERT(!blocked || wall == p + (pages + grow - 1) * ps);
  for (size_t i : written) p[i * ps + 7] = static_cast<uint8_t>(i + 1);
  if (pages > 1 && *rc::gen::arbitrary<bool>()) {  // the last k pages: a piece of another mapping
    size_t k = *rc::gen::inRange<size_t>(1, pages);
    auto* src = static_cast<uint8_t*>(os_map(k * ps));
    RC_ASSERT(bool(src));
    for (size_t j = 0; j < k; ++j) src[j * ps + 7] = p[(pages - k + j) * ps + 7];  // every page written: its own piece
    RC_ASSERT(static_cast<uint8_t*>(os_remap(src, k * ps, k * ps, p + (pages - k) * ps)) == p + (pages - k) * ps);
  }
  bool grown = os_extend(p, pages * ps, (pages + grow) * ps);
  RC_ASSERT(grown == !blocked);
  size_t now = grown ? pages + grow : pages;
  for (size_t i = 0; i < now; ++i) {
    bool w = i < pages && std::find(written.begin(), written.end(), i) != written.end();
    RC_ASSERT(p[i * ps + 7] == (w ? static_cast<uint8_t>(i + 1) : 0));
  }
  os_unmap(p, now * ps);
  if (wall) munmap(wall, ps);
}

RC_GTEST_PROP(OsProperty, MappingsMatchRegionModel, ()) {
  Model m;
  Sut s;
  rc::state::check(m, s, rc::state::gen::execOneOfWithArgs<Map, Write, Write, Purge, Unmap>());
  for (size_t i = 0; i < s.starts.size(); ++i) os_unmap(s.starts[i], s.bytes[i]);
}

}  // namespace
