// Fuzz harness of the os box: os_map_aligned / os_unmap / os_purge / os_remap / os_extend of input-chosen sizes,
// alignments and ranges; fresh and purged pages read zero, written pages keep their byte, and
// os_page_size is the kernel's page size. After each operation the pages it touched are read
// back; the regions (every touched page, a sample of the others) and the checkers are walked
// on the cadence and at the end.
#include <unistd.h>

#include <vector>

#include "fuzz_common.h"
#include "fuzz_crew.h"
#include "os/os.h"

using namespace hm;

namespace {
struct Region {
  uint8_t* p;
  size_t pages;
  std::vector<uint8_t> byte;  // per page: the byte at its start (0 after a purge)
  std::vector<bool> touched;  // per page: written or purged since the map
};
// Pages [first, first + n) of a region read their byte at the start and zero at the end.
void read_back(const Region& x, size_t ps, size_t first, size_t n) {
  for (size_t i = first; i < first + n; ++i) HM_FUZZ_CHECK(x.p[i * ps] == x.byte[i] && x.p[i * ps + ps - 1] == 0);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  const size_t ps = os_page_size();
  HM_FUZZ_CHECK(ps == static_cast<size_t>(sysconf(_SC_PAGESIZE)));
  uint64_t clock0 = os_now_ms();  // the purge delays' clock: never 0, never backwards
  HM_FUZZ_CHECK(clock0 != 0);
  std::vector<Region> live;
  hm_fuzz::Cadence cadence;
  // The box's counters (read by the stats box) move by at least this input's calls.
  uint64_t maps0 = os_counters().maps.load(), purges0 = os_counters().purges.load(), maps = 0, purges = 0;
  auto walk = [&] {
    // Every touched page; of the others (first reads fault each page in, the bulk of the
    // time), the first, the last and every 32nd.
    for (const Region& x : live)
      for (size_t i = 0; i < x.pages; ++i)
        if (x.touched[i] || i % 32 == 0 || i + 1 == x.pages) read_back(x, ps, i, 1);
    hm_fuzz::check_invariants("os");
  };
  while (in.more() && live.size() < 32) {
    uint8_t op = in.u8();
    if (op % 4 == 0 || live.empty()) {
      size_t pages = 1 + in.u16() % 512, align = size_t{1} << (12 + in.u8() % 12);
      bool hinted = op & 64;  // HAKMEM_MAP_HINT's region first (sanitizer builds map as without)
      auto* p = static_cast<uint8_t*>(align == ps ? os_map(pages * ps) : os_map_aligned(pages * ps, align, hinted));
      HM_FUZZ_CHECK(p && reinterpret_cast<uintptr_t>(p) % align == 0);
      ++maps;
      live.push_back({p, pages, std::vector<uint8_t>(pages, 0), std::vector<bool>(pages, false)});
      read_back(live.back(), ps, 0, 1);
      read_back(live.back(), ps, pages - 1, 1);
      if (cadence.due()) walk();
      continue;
    }
    Region& r = live[in.u16() % live.size()];
    size_t first = in.u16() % r.pages, n = 1 + in.u16() % (r.pages - first);
    if (op % 4 == 1) {
      for (size_t i = first; i < first + n; ++i) r.p[i * ps] = r.byte[i] = static_cast<uint8_t>(op | 1), r.touched[i] = true;
    } else if (op % 4 == 2) {
      os_purge(r.p + first * ps, n * ps);
      ++purges;
      for (size_t i = first; i < first + n; ++i) r.byte[i] = 0, r.touched[i] = true;
      read_back(r, ps, first, n);
    } else {
      os_unmap(r.p, r.pages * ps);
      r = live.back();
      live.pop_back();
    }
    if (cadence.due()) walk();
  }
  if (!live.empty()) {  // os_remap: the first region, moved and grown by a page, keeps its pages
    Region& r = live[0];
    auto* to = static_cast<uint8_t*>(os_map_aligned((r.pages + 1) * ps, ps));
    HM_FUZZ_CHECK(to && os_remap(r.p, r.pages * ps, (r.pages + 1) * ps, to) == to);
    r.p = to;
    r.pages++;
    r.byte.push_back(0);
    r.touched.push_back(true);
    read_back(r, ps, 0, r.pages);
    // os_extend: grown by a page where it is when the kernel has the room after it, else unchanged
    if (os_extend(r.p, r.pages * ps, (r.pages + 1) * ps)) {
      r.pages++;
      r.byte.push_back(0);
      r.touched.push_back(true);
    }
    read_back(r, ps, 0, r.pages);
  }
  walk();
  HM_FUZZ_CHECK(os_counters().maps.load() - maps0 >= maps && os_counters().purges.load() - purges0 >= purges);
  for (const Region& r : live) os_unmap(r.p, r.pages * ps);
  HM_FUZZ_CHECK(os_now_ms() >= clock0);
  return 0;
}
