// invariants/: the transfer box, under its lock. INV-TRANSFER-1: each batch's chain
// ends after exactly its count of blocks, each a free block (cookie, INV-PAGE-4) of a page of
// the batch's class. INV-TRANSFER-2: the byte total the box keeps equals the bytes of its
// batches and stays within HAKMEM_TRANSFER_KB. INV-TRANSFER-3: a batch's prefetch hints are its
// chain's first blocks in order, no more than its count, its slot holds or HAKMEM_TRANSFER_PREFETCH.
#include <algorithm>

#include "check.h"
#include "config/config.h"
#include "transfer/transfer.h"
#include "transfer/inspect.h"

namespace hm::check {
namespace {

struct Walk {
  Sink* s;
  uint64_t bytes = 0;
  bool ok = true;
  bool walk = true;  // walk each batch's chain, not only count its bytes
};

bool check_batch(Sink& s, unsigned cls, const TransferBatch& b) {
  uint32_t n = 0;
  for (const Block* x = b.head; x; x = x->next) {
    if (++n > b.n) return s.fail(registry::InvId::transfer_batch, at_class(cls, x), "chain length", b.n, n);
    if (!check_free_block(s, registry::InvId::transfer_batch, cls, x)) return false;
    if (n <= b.hints && b.hint[n - 1] != x)
      return s.fail(registry::InvId::transfer_hints, at_class(cls, x), "hint names the chain's block", n - 1,
                    reinterpret_cast<uintptr_t>(b.hint[n - 1]));
  }
  if (n != b.n) return s.fail(registry::InvId::transfer_batch, at_class(cls, b.head), "chain length", b.n, n);
  uint64_t gate = static_cast<uint64_t>(config().transfer_prefetch);
  uint64_t most = std::min<uint64_t>({b.n, gate, kTransferHints});
  if (b.hints > most) return s.fail(registry::InvId::transfer_hints, at_class(cls, b.head), "hints at most", most, b.hints);
  return true;
}

}  // namespace

bool check_transfer_head(Sink& s, unsigned cls, const Block* head) {
  uintptr_t u = reinterpret_cast<uintptr_t>(head);
  const Page* pg = page_of(u);
  if (!pg) return s.fail(registry::InvId::transfer_batch, at_class(cls, head), "page of block", 1, 0);
  if (pg->cls != cls) return s.fail(registry::InvId::transfer_batch, at_page(pg, head), "page class", cls, pg->cls);
  return true;
}

void check_transfer(Sink& s, bool walk_batches) {
  Walk w{&s};
  w.walk = walk_batches;
  uint64_t kept = transfer_visit(
      [](unsigned cls, const TransferBatch& b, void* arg) {
        auto* w = static_cast<Walk*>(arg);
        w->bytes += uint64_t{b.n} * class_to_size(cls);
        if (w->ok && w->walk) w->ok = check_batch(*w->s, cls, b);
      },
      &w);
  if (!w.ok) return;
  if (kept != w.bytes && !walk_batches) return check_transfer(s, true);  // name the broken batch, if one is
  if (kept != w.bytes) {
    s.fail2(registry::InvId::transfer_bytes, Where{}, "bytes of the batches", w.bytes, "byte total", kept);
    return;
  }
  uint64_t limit = static_cast<uint64_t>(config().transfer_kb) << 10;
  if (kept > limit) s.fail(registry::InvId::transfer_bytes, Where{}, "byte total at most", limit, kept);
}

}  // namespace hm::check
