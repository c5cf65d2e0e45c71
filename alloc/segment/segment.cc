// segment box: a global, lock-protected set of segments. Only page-span allocation and
// release take the lock; lookups (span_meta_of) are lock-free reads of stable data.
#include "segment/segment.h"
#include "segment/inspect.h"

#include <pthread.h>

#include <atomic>
#include <cstring>

#include "config/config.h"
#include "os/os.h"
#include "report/report.h"

namespace hm {
namespace segment_detail {
alignas(64) unsigned char g_no_span[kSpanMetaSize];
#define HM_NO_SPAN8 g_no_span, g_no_span, g_no_span, g_no_span, g_no_span, g_no_span, g_no_span, g_no_span
alignas(64) void* const g_no_slices[kSlicesPerSegment] = {HM_NO_SPAN8, HM_NO_SPAN8, HM_NO_SPAN8, HM_NO_SPAN8,
                                                          HM_NO_SPAN8, HM_NO_SPAN8, HM_NO_SPAN8, HM_NO_SPAN8};
#undef HM_NO_SPAN8
static_assert(kSlicesPerSegment == 64, "g_no_slices lists 64 entries");
}

namespace {

constinit pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
constinit Segment* g_list = nullptr;   // segments with at least one free slice
constinit Segment* g_spare = nullptr;  // one fully free segment kept mapped
constinit uint64_t g_all_count = 0;
constinit Segment* g_all[16384];  // every live segment, for checkers and stats (bounded: 64 GiB of segments)
constinit SegmentCounters g_counters{};
// HAKMEM_PURGE_DELAY_MS: the last purge tick (os_now_ms, 0: none yet), and when the slices aged
// at it fall due (0: none are); the latter is read without the lock by segment_purge_idle.
constinit uint64_t g_tick_ms = 0;
constinit std::atomic<uint64_t> g_due_ms{0};

constexpr uint64_t kAllSlicesFree = ~uint64_t{1};  // slices 1..63

void list_push(Segment* s) {
  s->prev = nullptr;
  s->next = g_list;
  if (g_list) g_list->prev = s;
  g_list = s;
}

void list_remove(Segment* s) {
  if (s->prev) s->prev->next = s->next;
  else g_list = s->next;
  if (s->next) s->next->prev = s->prev;
  s->next = s->prev = nullptr;
}

Segment* segment_new() {
  if (g_spare) {
    Segment* s = g_spare;
    g_spare = nullptr;
    return s;
  }
  if (g_all_count == sizeof g_all / sizeof g_all[0]) return nullptr;
  if (!pagemap_reserve()) return nullptr;  // no page map: nothing could find the segment
  void* mem = os_map_aligned(kSegmentSize, kSegmentSize, config().map_hint != 0);
  if (!mem) return nullptr;
  auto* s = static_cast<Segment*>(mem);
  s->magic = kSegmentMagic ^ reinterpret_cast<uintptr_t>(s);
  s->used_slices = 0;
  s->free_mask = kAllSlicesFree;
  s->dirty_mask = 0;
  s->aged_mask = 0;
  for (void*& m : s->slice_meta) m = no_span();
  s->index_in_list = static_cast<uint32_t>(g_all_count);
  g_all[g_all_count++] = s;
  pagemap_set(reinterpret_cast<uintptr_t>(s), kSegSmall);
  g_counters.segments_mapped++;
  g_counters.live_segments++;
  return s;
}

// Gives a fully free segment back to the OS (lock held).
void segment_unmap(Segment* s) {
  g_counters.dirty_slices -= static_cast<uint64_t>(__builtin_popcountll(s->dirty_mask));
  s->dirty_mask = 0;
  s->aged_mask = 0;
  pagemap_set(reinterpret_cast<uintptr_t>(s), kSegNone);
  uint32_t i = s->index_in_list;
  g_all[i] = g_all[--g_all_count];
  g_all[i]->index_in_list = i;
  s->magic = 0;
  os_unmap(s, kSegmentSize);
  g_counters.segments_unmapped++;
  g_counters.live_segments--;
}

void segment_release(Segment* s) {
  if (!g_spare) {  // kept mapped; its dirty slices wait for the next purge pass
    g_spare = s;
    return;
  }
  segment_unmap(s);
}

// First run of n free slices in mask, or -1.
int find_run(uint64_t mask, unsigned n) {
  uint64_t run = mask;
  for (unsigned i = 1; i < n; ++i) run &= mask >> i;
  return run ? __builtin_ctzll(run) : -1;
}

// The first listed segment with a run of n free slices (resident: of free slices not purged
// yet); *first is the run's start.
Segment* list_find(unsigned n, bool resident, int* first) {
  for (Segment* s = g_list; s; s = s->next)
    if ((*first = find_run(resident ? s->free_mask & s->dirty_mask : s->free_mask, n)) >= 0) return s;
  return nullptr;
}

uint64_t run_bits(unsigned first, unsigned n) {
  uint64_t bits = n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1);
  return bits << first;
}

// Purges the runs of slices in mask of segment s; they are no longer dirty (lock held).
void purge_runs(Segment* s, uint64_t d) {
  s->dirty_mask &= ~d;
  s->aged_mask &= ~d;
  g_counters.dirty_slices -= static_cast<uint64_t>(__builtin_popcountll(d));
  while (d) {
    unsigned first = static_cast<unsigned>(__builtin_ctzll(d));
    unsigned n = static_cast<unsigned>(__builtin_ctzll(~(d >> first)));
    if (first + n > 64) n = 64 - first;
    os_purge(reinterpret_cast<uint8_t*>(s) + (static_cast<size_t>(first) << kSliceShift),
             static_cast<size_t>(n) << kSliceShift);
    d &= ~run_bits(first, n);
  }
}

// A listed segment whose every slice is free is retired instead of purged: unmapped, or kept
// as the spare with its memory purged. True when it was (lock held).
bool retire_if_free(Segment* s) {
  if (s->used_slices != 0 || s == g_spare) return false;
  list_remove(s);
  segment_release(s);
  if (s == g_spare) purge_runs(s, s->dirty_mask);
  return true;
}

// Purges every dirty run of every segment, retiring the fully free ones (lock held). Downwards:
// an unmap moves the last segment into the hole, which was visited already.
void purge_pass() {
  for (uint64_t i = g_all_count; i-- > 0;)
    if (!retire_if_free(g_all[i])) purge_runs(g_all[i], g_all[i]->dirty_mask);
  g_counters.purge_passes++;
  g_due_ms.store(0, std::memory_order_relaxed);
}

// HAKMEM_PURGE_DELAY_MS, at most once per delay (lock held): the slices aged at the last tick
// and still dirty are purged, and the dirty ones left age now. A slice freed just after a
// tick is purged at the second tick from it: between one and two delays after its free.
void purge_tick(uint64_t now) {
  long delay = config().purge_delay_ms;
  if (!config().purge || delay < 0) return;
  if (g_tick_ms && now - g_tick_ms < static_cast<uint64_t>(delay)) {  // a free since: due at the next tick
    if (!g_due_ms.load(std::memory_order_relaxed)) g_due_ms.store(g_tick_ms + static_cast<uint64_t>(delay), std::memory_order_relaxed);
    return;
  }
  bool any = false;
  for (uint64_t i = g_all_count; i-- > 0;) {
    Segment* s = g_all[i];
    if (s->aged_mask && retire_if_free(s)) continue;
    if (s->aged_mask) purge_runs(s, s->aged_mask);
    s->aged_mask = s->dirty_mask;
    any |= s->dirty_mask != 0;
  }
  g_tick_ms = now;
  g_due_ms.store(any ? now + static_cast<uint64_t>(delay) : 0, std::memory_order_relaxed);
}

}  // namespace

Span segment_page_alloc(unsigned slices) {
  pthread_mutex_lock(&g_lock);
  int first = -1;
  Segment* s = config().purge_delay_ms >= 0 ? list_find(slices, true, &first) : nullptr;  // resident first
  if (!s) s = list_find(slices, false, &first);
  if (!s) {
    s = segment_new();
    if (!s) {
      pthread_mutex_unlock(&g_lock);
      return {nullptr, nullptr, 0};
    }
    list_push(s);
    first = find_run(s->free_mask, slices);
  }
  uint64_t bits = run_bits(static_cast<unsigned>(first), slices);
  // HAKMEM_PURGE_REUSE: resident bytes past the first slice are another span's leftovers, which a
  // page of a large class would keep long before it reaches them.
  uint64_t stale = s->dirty_mask & bits & ~run_bits(static_cast<unsigned>(first), 1);
  if (stale && config().purge_reuse && slices >= static_cast<unsigned>(config().purge_reuse)) {
    purge_runs(s, stale);
    g_counters.reuse_purged += static_cast<uint64_t>(__builtin_popcountll(stale));
  }
  s->free_mask &= ~bits;
  g_counters.dirty_slices -= static_cast<uint64_t>(__builtin_popcountll(s->dirty_mask & bits));
  s->dirty_mask &= ~bits;
  s->aged_mask &= ~bits;
  s->used_slices += slices;
  void* meta = s->meta[first];
  for (unsigned i = 0; i < slices; ++i) s->slice_meta[first + i] = meta;
  if (s->free_mask == 0) list_remove(s);
  g_counters.spans_alloc++;
  pthread_mutex_unlock(&g_lock);
  HM_CHECK_HOOK(span_alloc, meta, slices);
  uint8_t* start = reinterpret_cast<uint8_t*>(s) + (static_cast<size_t>(first) << kSliceShift);
  return {meta, start, static_cast<size_t>(slices) << kSliceShift};
}

uint8_t* span_start(const void* meta) {
  Segment* s = segment_of(reinterpret_cast<uintptr_t>(meta));
  size_t first = (static_cast<const unsigned char*>(meta) - &s->meta[0][0]) / kSpanMetaSize;
  return reinterpret_cast<uint8_t*>(s) + (first << kSliceShift);
}

unsigned span_slices(const void* meta) {
  Segment* s = segment_of(reinterpret_cast<uintptr_t>(meta));
  unsigned first = static_cast<unsigned>((static_cast<const unsigned char*>(meta) - &s->meta[0][0]) / kSpanMetaSize);
  unsigned n = 0;
  while (first + n < kSlicesPerSegment && s->slice_meta[first + n] == meta) ++n;
  return n;
}

void segment_page_free(void* meta) {
  HM_CHECK_HOOK(span_free, meta, 0);
  Segment* s = segment_of(reinterpret_cast<uintptr_t>(meta));
  unsigned first = static_cast<unsigned>((static_cast<unsigned char*>(meta) - &s->meta[0][0]) / kSpanMetaSize);
  pthread_mutex_lock(&g_lock);
  unsigned n = 0;
  while (first + n < kSlicesPerSegment && s->slice_meta[first + n] == meta) s->slice_meta[first + n++] = no_span();
  bool was_full = s->free_mask == 0;
  s->free_mask |= run_bits(first, n);
  if (config().purge) {
    s->dirty_mask |= run_bits(first, n);
    g_counters.dirty_slices += n;
  }
  s->used_slices -= n;
  g_counters.spans_free++;
  if (was_full) list_push(s);
  // A fully free segment stays listed while its memory is dirty (HAKMEM_PURGE_DELAY_MS), so
  // spans freed and taken again soon cost neither a new mapping nor page faults; the purge tick
  // or pass that would purge it retires it instead.
  if (s->used_slices == 0 && !(config().purge && config().purge_delay_ms >= 0)) {
    list_remove(s);
    segment_release(s);
  }
  if (config().purge && (g_counters.dirty_slices << kSliceShift) > (static_cast<uint64_t>(config().purge_mb) << 20))
    purge_pass();
  else
    purge_tick(os_now_ms());  // returns at once while the next tick is not due
  pthread_mutex_unlock(&g_lock);
}

void segment_purge_idle() {
  uint64_t due = g_due_ms.load(std::memory_order_relaxed);
  if (!due || os_now_ms() < due || pthread_mutex_trylock(&g_lock) != 0) return;
  purge_tick(os_now_ms());
  pthread_mutex_unlock(&g_lock);
}

size_t segment_trim() {
  pthread_mutex_lock(&g_lock);
  size_t bytes = 0;
  if (g_counters.dirty_slices) {  // fully free segments retire: the first becomes the spare
    bytes += g_counters.dirty_slices << kSliceShift;
    purge_pass();
  }
  if (Segment* s = g_spare) {
    g_spare = nullptr;
    segment_unmap(s);
    bytes += kSegmentSize;
  }
  g_due_ms.store(0, std::memory_order_relaxed);  // nothing unpurged is left to fall due
  pthread_mutex_unlock(&g_lock);
  return bytes;
}

SegmentCounters segment_counters() {
  pthread_mutex_lock(&g_lock);
  SegmentCounters c = g_counters;
  pthread_mutex_unlock(&g_lock);
  return c;
}

void segment_for_each(void (*fn)(Segment*, void*), void* arg) {
  pthread_mutex_lock(&g_lock);
  for (uint64_t i = 0; i < g_all_count; ++i)
    if (g_all[i] != g_spare) fn(g_all[i], arg);
  pthread_mutex_unlock(&g_lock);
}

void segment_lock_all() { pthread_mutex_lock(&g_lock); }
void segment_unlock_all() { pthread_mutex_unlock(&g_lock); }

}  // namespace hm
