// pagemap box: the table of unit kinds behind one lock for writers; lookups read it lock-free.
// The table comes from the os box on first use (os_map maps with MAP_NORESERVE): a process that
// never allocates, or a drop-in library under a tight address-space limit, pays nothing at load.
#include "pagemap/pagemap.h"
#include "pagemap/inspect.h"

#include <pthread.h>

#include "os/os.h"
#include "report/report.h"

namespace hm {
namespace {
constexpr uint8_t kUnreserved[1] = {kSegNone};  // what every lookup reads before the reservation
}
namespace pagemap_detail {
constinit Map g_map{kUnreserved, 0};
}

namespace {

using pagemap_detail::g_map;
using pagemap_detail::kUnits;

constinit pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
constinit uint8_t* g_table = nullptr;  // the writers' view of g_map.base once reserved
constinit PagemapCounters g_counters{};
constinit uint64_t g_written[kMapPages / 64];  // bit per page of the table ever written

}  // namespace

bool pagemap_reserve() {
  if (HM_LIKELY(__atomic_load_n(&g_map.limit, __ATOMIC_ACQUIRE) != 0)) return true;
  pthread_mutex_lock(&g_lock);
  if (g_map.limit == 0) {
    // One byte more than the units (rounded to a page): what a unit past the bound reads.
    if (auto* base = static_cast<uint8_t*>(os_map(kUnits + os_page_size()))) {
      g_table = base;
      __atomic_store_n(&g_map.base, base, __ATOMIC_RELAXED);
      g_counters.reserved = true;
      __atomic_store_n(&g_map.limit, uintptr_t{kUnits}, __ATOMIC_RELEASE);
    }
  }
  bool ok = g_map.limit != 0;
  pthread_mutex_unlock(&g_lock);
  return ok;
}

void pagemap_set(uintptr_t unit_start, uint8_t kind) {
  uintptr_t unit = unit_start >> kSegmentShift;
  pthread_mutex_lock(&g_lock);
  if (unit >= g_map.limit || kind >= kSegKinds) {
    pthread_mutex_unlock(&g_lock);
    if (kind == kSegNone) return;  // nothing was marked there
    report::report_fatal("pagemap_set", "a unit outside the reserved page map, or no such kind");
  }
  uint8_t old = g_table[unit];
  if (old != kind) {
    if (old != kSegNone) g_counters.units[old]--;
    if (kind != kSegNone) g_counters.units[kind]++;
    g_counters.sets++;
    g_written[unit / kPageUnits / 64] |= uint64_t{1} << (unit / kPageUnits % 64);
    __atomic_store_n(&g_table[unit], kind, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&g_lock);
}

PagemapCounters pagemap_counters() {
  pthread_mutex_lock(&g_lock);
  PagemapCounters c = g_counters;
  pthread_mutex_unlock(&g_lock);
  return c;
}

void pagemap_inspect(void (*fn)(const uint8_t*, const PagemapCounters&, const uint64_t*, void*), void* arg) {
  pthread_mutex_lock(&g_lock);
  fn(g_table, g_counters, g_written, arg);
  pthread_mutex_unlock(&g_lock);
}

void pagemap_lock_all() { pthread_mutex_lock(&g_lock); }
void pagemap_unlock_all() { pthread_mutex_unlock(&g_lock); }

}  // namespace hm
