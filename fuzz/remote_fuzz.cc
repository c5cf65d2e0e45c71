// Fuzz harness of the remote box: remote_push of input-chosen chains of a page's blocks from
// several threads at once, and remote_collect by the owner (also while pushers run), against a
// model of pending blocks: every pushed block is collected exactly once, the queue holds only
// blocks of its page, and used == capacity - local free. The pushers are a persistent crew of
// four helper threads (a lone pusher with no collect beside it runs on the fuzzing thread); the
// queue walk and the checkers run on the cadence and at the end.
#include <vector>

#include "fuzz_common.h"
#include "fuzz_crew.h"
#include "remote/remote.h"
#include "remote/inspect.h"

using namespace hm;

namespace {
void walk_queue(Page* pg, size_t pending) {
  HM_FUZZ_CHECK(remote_pending(pg) == pending);
  std::vector<uint8_t> seen(pg->capacity);  // a flag per block of the page
  size_t n = 0;
  for (Block* b = remote_head(pg); b; b = b->next, ++n) {
    long i = page_block_index(pg, reinterpret_cast<uintptr_t>(b));
    HM_FUZZ_CHECK(i >= 0 && !seen[static_cast<size_t>(i)]);
    seen[static_cast<size_t>(i)] = 1;
  }
  HM_FUZZ_CHECK(n == pending);
  hm_fuzz::check_invariants("remote");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  Page* pg = page_new(in.u8() % 80, nullptr);
  HM_FUZZ_CHECK(pg != nullptr);
  Block *first, *last;
  unsigned cap = page_take(pg, pg->capacity, &first, &last);
  std::vector<Block*> held;
  for (Block* b = first; held.size() < cap; b = b->next) held.push_back(b);
  size_t pending = 0, local = 0;
  static hm_fuzz::Crew crew(4);
  hm_fuzz::Cadence cadence;
  while (in.more()) {
    uint8_t op = in.u8();
    if (op % 3 == 2) {
      size_t got = remote_collect(pg);
      HM_FUZZ_CHECK(got == pending);
      local += got, pending = 0;
    } else if (!held.empty()) {
      unsigned threads = 1 + in.u8() % 4, chain = 1 + in.u8() % 8;
      size_t n = std::min<size_t>(held.size(), 1 + in.u16() % 256);
      std::vector<Block*> batch(held.end() - static_cast<long>(n), held.end());
      held.resize(held.size() - n);
      auto push = [&, threads, chain](unsigned t) {
        std::vector<Block*> mine;
        for (size_t i = t; i < batch.size(); i += threads) mine.push_back(batch[i]);
        for (size_t i = 0; i < mine.size(); i += chain) {
          size_t e = std::min(mine.size(), i + chain);
          for (size_t j = i; j < e; ++j) {
            mine[j]->cookie = page_cookie(reinterpret_cast<uintptr_t>(mine[j]));
            if (j + 1 < e) mine[j]->next = mine[j + 1];
          }
          remote_push(pg, mine[i], mine[e - 1], static_cast<unsigned>(e - i));
        }
      };
      size_t got = 0;
      bool racing = op % 3 == 1;  // collect while the pushers run
      if (threads == 1 && !racing) {
        push(0);  // nothing runs beside a lone pusher: no hand-off needed
      } else {
        crew.start(threads, push);
        if (racing)
          while (!crew.done()) got += remote_collect(pg);
        crew.wait();
      }
      pending += n;
      HM_FUZZ_CHECK(got <= pending);
      pending -= got, local += got;
    }
    HM_FUZZ_CHECK(remote_pending(pg) == pending);
    HM_FUZZ_CHECK(pg->used == cap - local);
    if (cadence.due()) walk_queue(pg, pending);
  }
  walk_queue(pg, pending);
  remote_collect(pg);
  for (Block* b : held) page_put(pg, b);
  HM_FUZZ_CHECK(pg->used == 0);
  page_delete(pg);
  return 0;
}
