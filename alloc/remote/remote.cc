// remote box: a Treiber-style stack per page; only the owner pops, and only all at once,
// so there is no ABA problem.
#include "remote/remote.h"
#include "remote/inspect.h"

#include "report/report.h"

namespace hm {
void remote_push(Page* pg, Block* first, Block* last, unsigned n) {
  HM_CHECK_HOOK(remote_push, pg, reinterpret_cast<uintptr_t>(first));
  uint64_t w = pg->remote.load(std::memory_order_relaxed);
  uint64_t next;
  do {
    last->next = remote_word_head(w);
    next = remote_word(first, remote_word_count(w) + n);
  } while (!pg->remote.compare_exchange_weak(w, next, std::memory_order_release, std::memory_order_relaxed));
}

unsigned remote_collect(Page* pg) {
  HM_CHECK_HOOK(remote_collect, pg, 0);
  if (!pg->remote.load(std::memory_order_relaxed)) return 0;
  uint64_t w = pg->remote.exchange(0, std::memory_order_acquire);
  Block* list = remote_word_head(w);
  if (!list) return 0;
  unsigned n = remote_word_count(w);
  if (pg->free) {  // splice in front of the local free list: find the queue's tail
    Block* tail = list;
    for (unsigned i = 1;; ++i) {  // no more than n blocks, each checked
      if (HM_UNLIKELY(i > n)) page_stale_block(tail);
      page_check_listed(pg, tail);
      if (!tail->next) break;
      tail = tail->next;
    }
    tail->next = pg->free;
  }
  pg->free = list;
  pg->used -= n;
  return n;
}

unsigned remote_pending(const Page* pg) { return remote_word_count(pg->remote.load(std::memory_order_acquire)); }

}  // namespace hm
