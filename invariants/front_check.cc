// invariants/: the front box. INV-FRONT-1 (level 2): the redzones of the calling thread's last
// redzoned blocks that are still live (checked mode, alloc/front/inspect.h), and of one block
// (hm_check_block). A block freed since, or freed and handed out again (by any thread, even while
// the check reads it), is skipped, and so is one whose page (or segment) has gone back or whose
// address is no block start any more.
#include <atomic>

#include "check.h"
#include "front/inspect.h"

namespace hm::check {

namespace {
bool redzone_finding(Sink& s, const Block* blk, const void* bad, registry::ErrorId kind) {
  Where w = at_page(page_of(reinterpret_cast<uintptr_t>(blk)), bad);
  return s.fail_text(registry::InvId::front_redzone, w, "intact redzones", registry::error(kind).text.data());
}
}  // namespace

bool check_redzone(Sink& s, const Block* blk, const void* p) {
  registry::ErrorId kind;
  const void* bad = redzone_bad(blk, p, &kind);
  return !bad || redzone_finding(s, blk, bad, kind);
}

void check_front(Sink& s, int level) {
  if (level < 2) return;
  unsigned n = 0;
  const RecentRedzone* r = redzone_recent(&n);
  for (unsigned i = 0; i < n; ++i) {
    auto blk = reinterpret_cast<uintptr_t>(r[i].p) - kRedHead;
    const auto* b = reinterpret_cast<const Block*>(blk);
    const auto* w = reinterpret_cast<const uint64_t*>(blk);
    // Its page still there: a block freed since may have gone back with its whole segment
    // (malloc_trim unmaps an empty one), and its memory with it. And still a block start of
    // that page: its span may have been carved again for another class, where it lies inside
    // another block, whose owner writes what it likes there (and which, free, is poisoned past
    // its first words in the ASan build). A block start's first words are readable, live or free.
    const Page* pg = page_of(blk);
    if (!pg || !page_is_block(pg, blk)) continue;
    // Still this thread's wrap: a free writes its cookie over the size word and another wrap
    // writes another nonce there, so a word equal to the recorded one before and after the tail
    // is read means the tail read was this wrap's, not a later owner's half-written one.
    if (w[0] != r[i].head || __atomic_load_n(&w[1], __ATOMIC_ACQUIRE) != r[i].size_word) continue;
    registry::ErrorId kind;
    const void* bad = redzone_bad(b, r[i].p, &kind);
    if (!bad) continue;
    std::atomic_thread_fence(std::memory_order_acquire);
    if (__atomic_load_n(&w[1], __ATOMIC_RELAXED) != r[i].size_word) continue;  // freed meanwhile
    if (!redzone_finding(s, b, bad, kind)) return;
  }
}

}  // namespace hm::check
