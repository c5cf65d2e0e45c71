// invariants/: the remote box. INV-REMOTE-1: a page's remote queue holds only blocks of that
// page, as many as the count its queue word carries (and, as every free block, each carries
// its free cookie: INV-PAGE-4). Only the owner takes from the queue, so the owner can walk it
// while other threads push.
#include "check.h"
#include "page/page.h"
#include "remote/remote.h"
#include "remote/inspect.h"

namespace hm::check {
namespace {

bool own_block(const Page* pg, const Block* b) {
  uintptr_t u = reinterpret_cast<uintptr_t>(b);
  const Page* of = page_of(u);
  return of && of == pg && page_block_index(of, u) >= 0;
}

}  // namespace

bool check_remote_head(Sink& s, const Page* pg) {
  const Block* b = remote_head(pg);
  if (b && !own_block(pg, b))
    return s.fail(registry::InvId::remote_owner, at_page(pg, b), "block of page", reinterpret_cast<uintptr_t>(pg),
                  reinterpret_cast<uintptr_t>(page_of(reinterpret_cast<uintptr_t>(b))), true);
  return true;
}

bool check_remote_queue(Sink& s, const Page* pg, unsigned* pending) {
  // Pushers only prepend, so the chain from one snapshot of the word is as long as its count.
  uint64_t w = pg->remote.load(std::memory_order_acquire);
  unsigned n = 0;
  for (const Block* b = remote_word_head(w); b; b = b->next) {
    uintptr_t u = reinterpret_cast<uintptr_t>(b);
    if (!own_block(pg, b))
      return s.fail(registry::InvId::remote_owner, at_page(pg, b), "block of page", reinterpret_cast<uintptr_t>(pg),
                    reinterpret_cast<uintptr_t>(page_of(u)), true);
    if (++n > pg->capacity)
      return s.fail(registry::InvId::remote_owner, at_page(pg, b), "queue length at most", pg->capacity, n);
    if (b->cookie != page_cookie(u))
      return s.fail(registry::InvId::page_cookie, at_page(pg, b), "cookie", page_cookie(u), b->cookie, true);
  }
  if (n != remote_word_count(w))
    return s.fail(registry::InvId::remote_owner, at_page(pg, remote_word_head(w)), "queue length (count in the queue word)",
                  remote_word_count(w), n);
  *pending = n;
  return true;
}

}  // namespace hm::check
