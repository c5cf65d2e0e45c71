// invariants/: the tcache box, over the calling thread's heap and the heaps waiting in the
// pool. INV-TCACHE-1 (bin bound), INV-TCACHE-2 (bin lists), INV-TCACHE-3 (page queues),
// INV-TCACHE-4 (the pool's accounting); the pages in the queues are checked by the page
// checker (O(1) checks always, walks at level 2).
#include "check.h"
#include "config/config.h"
#include "page/page.h"
#include "tcache/tcache.h"

namespace hm::check {
namespace {

// The most a bin may hold: the HAKMEM_TCACHE_MAX range of the gate registry.
constexpr uint32_t kMaxBound = 4096;

}  // namespace

Where at_class(unsigned cls, const void* addr) {
  Where w;
  w.addr = addr;
  w.size_class = static_cast<int>(cls);
  return w;
}

bool check_free_block(Sink& s, registry::InvId inv, unsigned cls, const Block* b) {
  uintptr_t u = reinterpret_cast<uintptr_t>(b);
  const Page* pg = page_of(u);
  if (!pg) return s.fail(inv, at_class(cls, b), "page of block", 1, 0);
  if (pg->cls != cls) return s.fail(inv, at_page(pg, b), "page class", cls, pg->cls);
  if (page_block_index(pg, u) < 0)
    return s.fail(inv, at_page(pg, b), "block start offset", 0, (u - reinterpret_cast<uintptr_t>(pg->start)) % pg->block_size);
  if (b->cookie != free_cookie(u))
    return s.fail(registry::InvId::page_cookie, at_page(pg, b), "cookie", free_cookie(u), b->cookie, true);
  return true;
}

bool check_bin_bound(Sink& s, const Heap* h, unsigned cls) {
  const Bin& bin = h->bins[cls];
  if (bin.bound > kMaxBound) return s.fail(registry::InvId::tcache_bound, at_class(cls, &bin), "bound at most", kMaxBound, bin.bound);
  if (bin.room > bin.bound) return s.fail(registry::InvId::tcache_bound, at_class(cls, &bin), "room at most", bin.bound, bin.room);
  return true;
}

bool check_bin_list(Sink& s, const Heap* h, unsigned cls) {
  const Bin& bin = h->bins[cls];
  uint32_t n = 0;
  for (const Block* b = bin.head; b; b = tcache_next(h, b)) {
    if (++n > bin.count())
      return s.fail(registry::InvId::tcache_list, at_class(cls, b), "list length", bin.count(), n);
    if (!check_free_block(s, registry::InvId::tcache_list, cls, b)) return false;
  }
  if (n != bin.count()) return s.fail(registry::InvId::tcache_list, at_class(cls, &bin), "list length", bin.count(), n);
  return true;
}

bool check_queues(Sink& s, const Heap* h, unsigned cls) {
  struct Q {
    const PageQueue* q;
    uint8_t tag;
  } qs[] = {{&h->avail[cls], kQueueAvail}, {&h->full[cls], kQueueFull}};
  for (const Q& q : qs) {
    const Page* prev = nullptr;
    uint32_t n = 0;
    for (const Page* pg = q.q->head; pg; prev = pg, pg = pg->next) {
      Where w = at_page(pg, nullptr);
      if (++n > q.q->count) return s.fail(registry::InvId::tcache_queues, w, "pages in queue", q.q->count, n);
      if (pg->prev != prev)
        return s.fail(registry::InvId::tcache_queues, w, "prev link", reinterpret_cast<uintptr_t>(prev),
                      reinterpret_cast<uintptr_t>(pg->prev), true);
      if (pg->owner.load(std::memory_order_relaxed) != h)
        return s.fail(registry::InvId::tcache_queues, w, "owner", reinterpret_cast<uintptr_t>(h),
                      reinterpret_cast<uintptr_t>(pg->owner.load(std::memory_order_relaxed)), true);
      if (pg->cls != cls) return s.fail(registry::InvId::tcache_queues, w, "class", cls, pg->cls);
      if (pg->queue != q.tag) return s.fail(registry::InvId::tcache_queues, w, "queue tag", q.tag, pg->queue);
    }
    Where wq = at_class(cls, q.q);
    if (q.q->tail != prev)
      return s.fail(registry::InvId::tcache_queues, wq, "tail", reinterpret_cast<uintptr_t>(prev),
                    reinterpret_cast<uintptr_t>(q.q->tail), true);
    if (n != q.q->count) return s.fail(registry::InvId::tcache_queues, wq, "pages in queue", q.q->count, n);
  }
  return true;
}

namespace {

// A heap's bins, queues and pages (the body of check_heap, for live and waiting heaps alike).
void heap_body(Sink& s, const Heap* h, int level, int cls, int walk_cls) {
  unsigned from = cls < 0 ? 0 : static_cast<unsigned>(cls);
  unsigned to = cls < 0 ? kClassCount : from + 1;
  for (unsigned c = from; c < to; ++c) {
    if (check_bin_bound(s, h, c) && level >= 2) check_bin_list(s, h, c);
    bool queues_ok = level < 2 || check_queues(s, h, c);
    if (!queues_ok) continue;  // a broken queue cannot be walked safely
    bool walk = level >= 2 && (walk_cls == -1 || walk_cls == static_cast<int>(c));
    for (const PageQueue* q : {&h->avail[c], &h->full[c]}) {
      uint32_t n = 0;
      for (const Page* pg = q->head; pg && n < q->count; pg = pg->next, ++n)
        if (check_page_o1(s, pg) && walk) check_page_walk(s, pg, h);
    }
  }
}

Where at_heap(const Heap* h) {
  Where w;
  w.addr = h;
  return w;
}

}  // namespace

void check_heap(Sink& s, const Heap* h, int level, int cls, int walk_cls) {
  if (h->real) heap_body(s, h, level, cls, walk_cls);
}

bool check_pooled_heap(Sink& s, const Heap* h, int level) {
  if (level < 2) return true;
  if (h->real) return s.fail(registry::InvId::tcache_pool, at_heap(h), "running threads", 0, 1);
  uint64_t slices = 0;
  for (unsigned c = 0; c < kClassCount; ++c) {
    if (!check_queues(s, h, c)) return false;  // the walk below needs sound queues
    for (const PageQueue* q : {&h->avail[c], &h->full[c]})
      for (const Page* pg = q->head; pg; pg = pg->next) slices += pg->slices;
  }
  if (slices != h->pooled_slices)
    return s.fail2(registry::InvId::tcache_pool, at_heap(h), "slices of its pages", slices, "pooled slices",
                   h->pooled_slices);
  heap_body(s, h, level, -1, -1);
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
  if (w.sum > granted) s.fail2(registry::InvId::tcache_pool, at, "pool's granted slices at least", w.sum, "granted", granted);
  else if (w.sum > limit) s.fail2(registry::InvId::tcache_pool, at, "pooled slices at most", limit, "pooled", w.sum);
}

}  // namespace hm::check
