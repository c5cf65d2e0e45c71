// Fuzz harness of the remote box: remote_push of input-chosen chains of a page's blocks from
// several threads at once, and remote_collect by the owner (also while pushers run), against a
// model of pending blocks: every pushed block is collected exactly once, the queue holds only
// blocks of its page, and used == capacity - local free. The pushers are a persistent crew of
// four helper threads (a lone pusher with no collect beside it runs on the fuzzing thread, and
// with no collect beside them the fuzzing thread is one of the pushers); the queue walk and the
// checkers run on the cadence and at the end.
#include <sched.h>

#include <vector>

#include "fuzz_common.h"
#include "fuzz_crew.h"
#include "remote/remote.h"
#include "remote/inspect.h"

using namespace hm;

namespace {
// The blocks of one push operation, dealt round-robin to `threads` pushers that each push their
// share in chains of `chain`.
struct Push {
  Page* pg;
  Block* const* batch;
  size_t n;
  unsigned threads, chain;
};

HM_FUZZ_UNTRACED void push_share(const Push& p, unsigned t) {
  Block* mine[256];  // a share of at most 256 blocks
  size_t k = 0;
  for (size_t i = t; i < p.n; i += p.threads) mine[k++] = p.batch[i];
  for (size_t i = 0; i < k; i += p.chain) {
    size_t e = std::min(k, i + p.chain);
    for (size_t j = i; j < e; ++j) {
      mine[j]->cookie = page_cookie(reinterpret_cast<uintptr_t>(mine[j]));
      if (j + 1 < e) mine[j]->next = mine[j + 1];
    }
    remote_push(p.pg, mine[i], mine[e - 1], static_cast<unsigned>(e - i));
  }
}

HM_FUZZ_UNTRACED void walk_queue(Page* pg, size_t pending) {
  HM_FUZZ_CHECK(remote_pending(pg) == pending);
  static std::vector<uint8_t> seen;  // a flag per block of the page
  seen.assign(pg->capacity, 0);
  size_t n = 0;
  for (Block* b = remote_head(pg); b; b = b->next, ++n) {
    long i = page_block_index(pg, reinterpret_cast<uintptr_t>(b));
    HM_FUZZ_CHECK(i >= 0 && !seen[static_cast<size_t>(i)]);
    seen[static_cast<size_t>(i)] = 1;
  }
  HM_FUZZ_CHECK(n == pending);
  hm_fuzz::check_invariants("remote");
}

// The page's blocks, all taken: the list page_take returns, as a vector.
HM_FUZZ_UNTRACED void take_all(Page* pg, std::vector<Block*>& held) {
  Block *first, *last;
  unsigned cap = page_take(pg, pg->capacity, &first, &last);
  held.clear();
  for (Block* b = first; held.size() < cap; b = b->next) held.push_back(b);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  Page* pg = page_new(in.u8() % 80, nullptr);
  HM_FUZZ_CHECK(pg != nullptr);
  static std::vector<Block*> held;  // kept between inputs: no allocation per input
  take_all(pg, held);
  const size_t cap = held.size();
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
      // The batch is the last n held blocks: they stay in `held` (unread) until the push ends.
      Push p{pg, held.data() + (held.size() - n), n, threads, chain};
      const Push* pp = &p;
      auto push = [pp](unsigned t) { push_share(*pp, t); };
      size_t got = 0;
      if (op % 3 == 1) {  // collect while the pushers run
        crew.start(threads, push);
        while (!crew.done())
          if (size_t c = remote_collect(pg)) got += c;
          else sched_yield();  // the pushers may need this core; the next collect races them
        crew.wait();
      } else {
        crew.run_with_caller(threads, push);  // a lone pusher runs here with no hand-off
      }
      held.resize(held.size() - n);
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
