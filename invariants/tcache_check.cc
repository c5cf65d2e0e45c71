// invariants/: the tcache box, over the calling thread's cache and the caches of the heaps
// waiting in the pool. INV-TCACHE-1 (bin bound), INV-TCACHE-2 (bin lists); check_cache also runs
// the heap box's queue check (INV-TCACHE-3, heap_check.cc) and the page checker over the pages
// in the queues (O(1) checks always, walks at level 2).
#include "check.h"
#include "page_o1.h"
#include "config/config.h"
#include "heap/inspect.h"
#include "page/page.h"
#include "tcache/inspect.h"

namespace hm::check {
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
  if (!page_is_block(pg, u))  // page_block_index's test, without its division
    return s.fail(inv, at_page(pg, b), "block start offset", 0, (u - reinterpret_cast<uintptr_t>(pg->start)) % pg->block_size);
  if (b->cookie != free_cookie(u))
    return s.fail(registry::InvId::page_cookie, at_page(pg, b), "cookie", free_cookie(u), b->cookie, true);
  return true;
}

bool check_bin_bound(Sink& s, const Heap* h, unsigned cls) {
  const Bin& bin = tcache_of(h)->bins[cls];
  if (bin.bound > kBinBoundMax) return s.fail(registry::InvId::tcache_bound, at_class(cls, &bin), "bound at most", kBinBoundMax, bin.bound);
  if (bin.room > bin.bound) return s.fail(registry::InvId::tcache_bound, at_class(cls, &bin), "room at most", bin.bound, bin.room);
  return true;
}

// A list of want free blocks of class cls (a bin, or a spare: the bin's bound or none).
bool check_list(Sink& s, const ThreadCache* t, unsigned cls, const Block* head, uint32_t want, const void* at) {
  uint32_t n = 0;
  for (const Block* b = head; b; b = tcache_next(t, b)) {
    if (++n > want) return s.fail(registry::InvId::tcache_list, at_class(cls, b), "list length", want, n);
    if (HM_UNLIKELY(!free_block_ok(cls, b)) && !check_free_block(s, registry::InvId::tcache_list, cls, b)) return false;
  }
  if (n != want) return s.fail(registry::InvId::tcache_list, at_class(cls, at), "list length", want, n);
  return true;
}

bool check_bin_list(Sink& s, const Heap* h, unsigned cls) {
  const ThreadCache* t = tcache_of(h);
  const Bin& bin = t->bins[cls];
  if (!check_list(s, t, cls, bin.head, bin.count(), &bin)) return false;
  if (t->spare[cls] && !t->has_spare[cls])
    return s.fail(registry::InvId::tcache_list, at_class(cls, t->spare[cls]), "spare of a class without one", 0, 1);
  return check_list(s, t, cls, t->spare[cls], tcache_spare_count(t, cls), &t->spare[cls]);
}

void check_cache(Sink& s, const Heap* h, int level, int cls, int walk_cls) {
  unsigned from = cls < 0 ? 0 : static_cast<unsigned>(cls);
  unsigned to = cls < 0 ? kClassCount : from + 1;
  for (unsigned c = from; c < to; ++c) {
    if (check_bin_bound(s, h, c) && level >= 2) check_bin_list(s, h, c);
    bool queues_ok = level < 2 || check_queues(s, h, c);
    if (!queues_ok) continue;  // a broken queue cannot be walked safely
    bool walk = level >= 2 && (walk_cls == -1 || walk_cls == static_cast<int>(c));
    for (const PageQueue* q : {&h->avail[c], &h->full[c]}) {
      uint32_t n = 0;
      for (const Page* pg = q->head; pg && n < q->count; pg = heap_page_next(pg), ++n)
        if (check_page_o1(s, pg) && walk) check_page_walk(s, pg, h);
    }
  }
}

void check_heap(Sink& s, const Heap* h, int level, int cls, int walk_cls) {
  if (h->real) check_cache(s, h, level, cls, walk_cls);
}

}  // namespace hm::check
