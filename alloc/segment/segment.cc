// segment box: a global, lock-protected set of segments. Only page-span allocation and
// release take the lock; lookups (span_meta_of) are lock-free reads of stable data.
#include "segment/segment.h"
#include "segment/inspect.h"

#include <pthread.h>

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
  void* mem = os_map_aligned(kSegmentSize, kSegmentSize);
  if (!mem) return nullptr;
  auto* s = static_cast<Segment*>(mem);
  s->magic = kSegmentMagic ^ reinterpret_cast<uintptr_t>(s);
  s->used_slices = 0;
  s->free_mask = kAllSlicesFree;
  s->dirty_mask = 0;
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

uint64_t run_bits(unsigned first, unsigned n) {
  uint64_t bits = n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1);
  return bits << first;
}

// Purges every dirty run of every segment (lock held).
void purge_pass() {
  for (uint64_t i = 0; i < g_all_count; ++i) {
    Segment* s = g_all[i];
    uint64_t d = s->dirty_mask;
    while (d) {
      unsigned first = static_cast<unsigned>(__builtin_ctzll(d));
      unsigned n = static_cast<unsigned>(__builtin_ctzll(~(d >> first)));
      if (first + n > 64) n = 64 - first;
      os_purge(reinterpret_cast<uint8_t*>(s) + (static_cast<size_t>(first) << kSliceShift),
               static_cast<size_t>(n) << kSliceShift);
      d &= ~run_bits(first, n);
    }
    s->dirty_mask = 0;
  }
  g_counters.dirty_slices = 0;
  g_counters.purge_passes++;
}

}  // namespace

Span segment_page_alloc(unsigned slices) {
  pthread_mutex_lock(&g_lock);
  Segment* s = g_list;
  int first = -1;
  for (; s; s = s->next) {
    first = find_run(s->free_mask, slices);
    if (first >= 0) break;
  }
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
  s->free_mask &= ~bits;
  g_counters.dirty_slices -= static_cast<uint64_t>(__builtin_popcountll(s->dirty_mask & bits));
  s->dirty_mask &= ~bits;
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
  if (s->used_slices == 0) {
    list_remove(s);
    segment_release(s);
  }
  if (config().purge && (g_counters.dirty_slices << kSliceShift) > (static_cast<uint64_t>(config().purge_mb) << 20))
    purge_pass();
  pthread_mutex_unlock(&g_lock);
}

size_t segment_trim() {
  pthread_mutex_lock(&g_lock);
  size_t bytes = 0;
  if (Segment* s = g_spare) {
    g_spare = nullptr;
    segment_unmap(s);
    bytes += kSegmentSize;
  }
  if (g_counters.dirty_slices) {
    bytes += g_counters.dirty_slices << kSliceShift;
    purge_pass();
  }
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
