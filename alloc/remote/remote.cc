// remote box: a Treiber-style stack per page; only the owner pops, and only all at once,
// so there is no ABA problem.
#include "remote/remote.h"

#include "report/report.h"

namespace hm {
void remote_push(Page* pg, Block* first, Block* last, [[maybe_unused]] unsigned n) {
  HM_CHECK_HOOK(remote_push, pg, reinterpret_cast<uintptr_t>(first));
  Block* head = pg->remote.load(std::memory_order_relaxed);
  do {
    last->next = head;
  } while (!pg->remote.compare_exchange_weak(head, first, std::memory_order_release, std::memory_order_relaxed));
}

unsigned remote_collect(Page* pg) {
  HM_CHECK_HOOK(remote_collect, pg, 0);
  if (!pg->remote.load(std::memory_order_relaxed)) return 0;
  Block* list = pg->remote.exchange(nullptr, std::memory_order_acquire);
  if (!list) return 0;
  unsigned n = 1;
  Block* tail = list;
  while (tail->next) {
    tail = tail->next;
    ++n;
  }
  tail->next = pg->free;
  pg->free = list;
  pg->used -= n;
  return n;
}

unsigned remote_pending(const Page* pg) {
  unsigned n = 0;
  for (Block* b = pg->remote.load(std::memory_order_acquire); b; b = b->next) ++n;
  return n;
}

}  // namespace hm
