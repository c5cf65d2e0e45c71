// invariants/: the heap box, over the calling thread's heap and the heaps waiting in the pool.
// INV-TCACHE-3 (page queues), INV-TCACHE-4 (the pool's accounting); a waiting heap's bins and
// pages are then checked as a live one's (check_cache, tcache_check.cc).
#include "check.h"
#include "config/config.h"
#include "heap/inspect.h"
#include "page/page.h"

namespace hm::check {
namespace {

Where at_heap(const Heap* h) {
  Where w;
  w.addr = h;
  return w;
}

}  // namespace

bool check_queues(Sink& s, const Heap* h, unsigned cls) {
  struct Q {
    const PageQueue* q;
    uint8_t tag;
  } qs[] = {{&h->avail[cls], kQueueAvail}, {&h->full[cls], kQueueFull}};
  for (const Q& q : qs) {
    const Page* prev = nullptr;
    uint32_t n = 0;
    for (const Page* pg = q.q->head; pg; prev = pg, pg = heap_page_next(pg)) {
      Where w = at_page(pg, nullptr);
      if (++n > q.q->count) return s.fail(registry::InvId::heap_queues, w, "pages in queue", q.q->count, n);
      if (heap_page_prev(pg) != prev)
        return s.fail(registry::InvId::heap_queues, w, "prev link", reinterpret_cast<uintptr_t>(prev),
                      reinterpret_cast<uintptr_t>(heap_page_prev(pg)), true);
      if (pg->owner.load(std::memory_order_relaxed) != h)
        return s.fail(registry::InvId::heap_queues, w, "owner", reinterpret_cast<uintptr_t>(h),
                      reinterpret_cast<uintptr_t>(pg->owner.load(std::memory_order_relaxed)), true);
      if (pg->cls != cls) return s.fail(registry::InvId::heap_queues, w, "class", cls, pg->cls);
      if (heap_page_queue(pg) != q.tag) return s.fail(registry::InvId::heap_queues, w, "queue tag", q.tag, heap_page_queue(pg));
    }
    Where wq = at_class(cls, q.q);
    if (q.q->tail != prev)
      return s.fail(registry::InvId::heap_queues, wq, "tail", reinterpret_cast<uintptr_t>(prev),
                    reinterpret_cast<uintptr_t>(q.q->tail), true);
    if (n != q.q->count) return s.fail(registry::InvId::heap_queues, wq, "pages in queue", q.q->count, n);
  }
  return true;
}

bool check_pooled_heap(Sink& s, const Heap* h, int level) {
  if (level < 2) return true;
  if (h->real) return s.fail(registry::InvId::heap_pool, at_heap(h), "running threads", 0, 1);
  uint64_t slices = 0;
  for (unsigned c = 0; c < kClassCount; ++c) {
    if (!check_queues(s, h, c)) return false;  // the walk below needs sound queues
    for (const PageQueue* q : {&h->avail[c], &h->full[c]})
      for (const Page* pg = q->head; pg; pg = heap_page_next(pg)) slices += pg->slices;
  }
  if (slices != h->pooled_slices)
    return s.fail2(registry::InvId::heap_pool, at_heap(h), "slices of its pages", slices, "pooled slices",
                   h->pooled_slices);
  check_cache(s, h, level, -1, -1);
  return true;
}

void check_pool(Sink& s, int level) {
  if (level < 2) return;
  struct Walk {
    Sink* s;
    uint64_t sum = 0;
  } w{&s};
  uint64_t granted = heap_pool_for_each(
      [](Heap* h, void* arg) {
        auto* w = static_cast<Walk*>(arg);
        if (check_pooled_heap(*w->s, h, 2)) w->sum += h->pooled_slices;
      },
      &w);
  uint64_t limit = (static_cast<uint64_t>(config().heap_pool_mb) << 20) >> kSliceShift;
  Where at;
  if (w.sum > granted) s.fail2(registry::InvId::heap_pool, at, "pool's granted slices at least", w.sum, "granted", granted);
  else if (w.sum > limit) s.fail2(registry::InvId::heap_pool, at, "pooled slices at most", limit, "pooled", w.sum);
}

}  // namespace hm::check
