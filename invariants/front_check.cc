// invariants/: the front box. INV-FRONT-1 (level 2): the redzones of the calling thread's last
// redzoned blocks that are still live (checked mode, alloc/front/inspect.h), and of one block
// (hm_check_block). A block freed since, or freed and handed out again, is skipped.
#include "check.h"
#include "front/inspect.h"

namespace hm::check {

bool check_redzone(Sink& s, const Block* blk, const void* p) {
  registry::ErrorId kind;
  const void* bad = redzone_bad(blk, p, &kind);
  if (!bad) return true;
  Where w = at_page(page_of(reinterpret_cast<uintptr_t>(blk)), bad);
  return s.fail_text(registry::InvId::front_redzone, w, "intact redzones", registry::error(kind).text.data());
}

void check_front(Sink& s, int level) {
  if (level < 2) return;
  unsigned n = 0;
  const RecentRedzone* r = redzone_recent(&n);
  for (unsigned i = 0; i < n; ++i) {
    auto blk = reinterpret_cast<uintptr_t>(r[i].p) - kRedHead;
    const auto* b = reinterpret_cast<const Block*>(blk);
    if (*reinterpret_cast<const uint64_t*>(blk) != r[i].head || is_free_cookie(b->cookie, blk)) continue;
    if (!check_redzone(s, b, r[i].p)) return;
  }
}

}  // namespace hm::check
