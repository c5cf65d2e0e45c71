// Fuzz harness of the transfer box: transfer_put and transfer_take of input-chosen batches over
// three input-chosen size classes, with the byte bound (HAKMEM_TRANSFER_KB) changed between
// operations and the prefetch gate (HAKMEM_TRANSFER_PREFETCH) chosen per input, against a model
// of each class's stack of batches and the byte total: a put succeeds exactly when the class
// holds fewer than kTransferSlots batches and the total stays within the bound, a take returns
// the newest batch intact, or, for a taker naming its CPU, the newest of the first kind there is
// of by the batches' marks (demoted on another CPU, not demoted, demoted on its own; puts and
// takes draw marks and CPUs from the opcode's high bits), a take bounded by a bin's room only when
// the batch fits, else nothing; every batch in the box matches the model (its prefetch hints and
// mark included) and transfer_bytes() equals its total. A threaded burst puts and takes from several
// threads at once, then drains the box: every batch put is taken exactly once, intact. An idle
// take (transfer_take_idle, HAKMEM_TRANSFER_RECLAIM) looks at a class twice with no take between:
// by the second look every batch has come back, oldest first, intact.
// Blocks come from pages of the classes and go back to them; every input ends with the box
// drained, every page empty and deleted (a few kept to hold their segments mapped) and the
// bound restored. After each operation the byte total is checked; every batch against the
// model and the checkers run on the cadence and at the end.
// The burst's threads are the fuzzing thread and a persistent crew of helpers; the model's
// walks and lists stay out of coverage tracing and keep their storage between bursts.
#include <algorithm>
#include <atomic>
#include <iterator>
#include <map>
#include <thread>
#include <vector>

#include "config/config.h"
#include "config/inspect.h"
#include "fuzz_common.h"
#include "fuzz_crew.h"
#include "page/page.h"
#include "segment/segment.h"
#include "transfer/transfer.h"
#include "transfer/inspect.h"

using namespace hm;

namespace {

constexpr long kBoundsKb[] = {0, 1, 2, 4, 8, 16, 64, 256, 1024, 65536};
constexpr long kPrefetch[] = {0, 1, 8, kTransferHints};  // HAKMEM_TRANSFER_PREFETCH

using Chain = std::vector<Block*>;

struct World {
  unsigned cls[3];
  std::map<unsigned, std::vector<Page*>> pages;
  std::map<unsigned, std::vector<Chain>> stacks;  // the model: class -> batches, oldest first
  uint64_t bytes = 0;
  // The names each batch in the box keeps, by head, and the box's name buffers lent to them.
  std::map<const Block*, size_t> named;
  std::map<const Block*, uint16_t> marks;  // a batch's first block -> its mark (demoted on CPU mark - 1)
  unsigned lent = 0;
  // Blocks taken from the pages and not yet put back: a flag per block of each page.
  std::map<const Page*, std::vector<uint8_t>> out;
  size_t out_count = 0;
  const Page* last_pg = nullptr;  // the page of the last flag looked up, and its flags
  std::vector<uint8_t>* last_flags = nullptr;
  HM_FUZZ_UNTRACED uint8_t& out_flag(Block* b) {
    uintptr_t u = reinterpret_cast<uintptr_t>(b);
    const Page* pg = page_of(u);
    long i = page_block_index(pg, u);
    HM_FUZZ_CHECK(i >= 0);
    if (pg != last_pg) {
      last_flags = &out[pg];
      last_pg = pg;
      if (last_flags->size() < pg->capacity) last_flags->resize(pg->capacity);
    }
    return (*last_flags)[static_cast<size_t>(i)];
  }

  uint64_t limit() const { return static_cast<uint64_t>(config().transfer_kb) << 10; }

  // k blocks of class c, taken from the newest page with free blocks (as many at once as it
  // has), then from new pages; chained in order, with their free cookies.
  Chain fresh_chain(unsigned c, uint32_t k) {
    Chain v;
    v.reserve(k);
    fresh_into(c, k, v);
    return v;
  }
  // The same, appended to v.
  HM_FUZZ_UNTRACED void fresh_into(unsigned c, uint32_t k, Chain& v) {
    const size_t at = v.size(), end = at + k;
    std::vector<Page*>& pv = pages[c];
    while (v.size() < end) {
      Page* pg = nullptr;  // the newest page with a free block
      for (auto it = pv.rbegin(); !pg && it != pv.rend(); ++it)
        if (page_has_free(*it)) pg = *it;
      if (!pg) {
        pg = page_new(c, nullptr);
        HM_FUZZ_CHECK(pg != nullptr);
        pv.push_back(pg);
      }
      Block *first = nullptr, *last = nullptr;
      unsigned got = page_take(pg, static_cast<unsigned>(end - v.size()), &first, &last);
      HM_FUZZ_CHECK(got >= 1 && got <= end - v.size());
      Block* b = first;
      for (unsigned i = 0; i < got; ++i, b = b->next) {
        HM_FUZZ_CHECK(b != nullptr);
        v.push_back(b);
      }
      HM_FUZZ_CHECK(v.back() == last);
    }
    for (size_t i = at; i < end; ++i) {
      v[i]->next = i + 1 < end ? v[i + 1] : nullptr;
      v[i]->cookie = free_cookie(reinterpret_cast<uintptr_t>(v[i]));
      uint8_t& f = out_flag(v[i]);
      HM_FUZZ_CHECK(!f);
      f = 1, ++out_count;
    }
  }
  HM_FUZZ_UNTRACED void give_back(Block* b) {
    uint8_t& f = out_flag(b);
    HM_FUZZ_CHECK(f);
    f = 0, --out_count;
    b->cookie = free_cookie(reinterpret_cast<uintptr_t>(b));
    page_put(page_of(reinterpret_cast<uintptr_t>(b)), b);
  }
};

// Checks the n blocks of the chain at head: blocks of pages of class c with their free cookies,
// null-terminated after exactly n; each is appended to *out when out is given, and compared
// with want[i] when want is given (returns whether all matched).
HM_FUZZ_UNTRACED bool walk(unsigned c, Block* head, uint32_t n, const Block* const* want, Chain* out = nullptr) {
  bool same = true;
  Block* b = head;
  for (uint32_t i = 0; i < n; ++i) {
    HM_FUZZ_CHECK(b != nullptr);
    uintptr_t u = reinterpret_cast<uintptr_t>(b);
    const Page* pg = page_of(u);
    HM_FUZZ_CHECK(pg != nullptr && pg->cls == c && page_block_index(pg, u) >= 0);
    HM_FUZZ_CHECK(b->cookie == free_cookie(u));
    if (want) same = same && b == want[i];
    if (out) out->push_back(b);
    b = b->next;
  }
  HM_FUZZ_CHECK(b == nullptr);
  return same;
}
bool walk_is(unsigned c, Block* head, const Chain& want) {
  return walk(c, head, static_cast<uint32_t>(want.size()), want.data());
}

HM_FUZZ_UNTRACED void check_box(const World& w) {
  HM_FUZZ_CHECK(transfer_bytes() == w.bytes);
  struct Seen {
    uint64_t bytes = 0, batches = 0;
  } seen;
  uint64_t kept = transfer_visit(
      [](unsigned cls, const TransferBatch& b, void* arg) {
        static_cast<Seen*>(arg)->bytes += uint64_t{b.n} * class_to_size(cls);
        static_cast<Seen*>(arg)->batches++;
      },
      &seen);
  size_t batches = 0;
  for (const auto& [c, v] : w.stacks) batches += v.size();
  HM_FUZZ_CHECK(kept == w.bytes && seen.bytes == w.bytes && seen.batches == batches);
  for (unsigned c = 0; c < kClassCount; ++c) {
    auto it = w.stacks.find(c);
    size_t want = it == w.stacks.end() ? 0 : it->second.size();
    unsigned i = 0;
    for (; TransferBatch* b = transfer_batch_for_test(c, i); ++i) {
      HM_FUZZ_CHECK(i < want);
      HM_FUZZ_CHECK(b->n == it->second[i].size());
      HM_FUZZ_CHECK(walk_is(c, b->head, it->second[i]));
      // The hints: the chain's first blocks, as many as the model says the put kept.
      const Chain& chain = it->second[i];
      auto names = w.named.find(chain[0]);
      HM_FUZZ_CHECK(names != w.named.end() && b->hints == names->second);
      auto mark = w.marks.find(chain[0]);
      HM_FUZZ_CHECK(b->demoted_on == (mark == w.marks.end() ? 0 : mark->second));
      for (size_t k = 0; k < b->hints; ++k) HM_FUZZ_CHECK(b->hint[k] == chain[k]);
    }
    HM_FUZZ_CHECK(i == want);
  }
  // A bound lowered below what the box holds breaks INV-TRANSFER-2 by design (the gate is
  // read once at start-up), so the checkers run only within it.
  if (w.bytes <= w.limit()) hm_fuzz::check_invariants("transfer");
}

void put(World& w, unsigned c, uint32_t k, uint16_t mark = 0) {
  Chain v = w.fresh_chain(c, k);
  auto& stack = w.stacks[c];
  bool fits = stack.size() < kTransferSlots && w.bytes + uint64_t{k} * class_to_size(c) <= w.limit();
  bool ok = transfer_put(c, v[0], k, v.data(), k, mark);  // named whole: the batch keeps what the gate allows
  HM_FUZZ_CHECK(ok == fits);
  if (ok) {
    // Names while a buffer is free: as many as the gate and kTransferHints allow.
    size_t names = class_to_size(c) < kTransferHintMinSize || w.lent == kTransferNameBuffers
                       ? 0
                       : std::min<size_t>({k, kTransferHints, size_t(config().transfer_prefetch)});
    w.named[v[0]] = names;
    if (mark) w.marks[v[0]] = mark;
    w.lent += names ? 1 : 0;
    stack.push_back(std::move(v));
    w.bytes += uint64_t{k} * class_to_size(c);
  } else {
    HM_FUZZ_CHECK(walk_is(c, v[0], v));  // a refused batch is left as it was
    for (Block* b : v) w.give_back(b);
  }
  if (stack.empty()) w.stacks.erase(c);
}

// The batch a taker on CPU taker - 1 (0: any) takes from a non-empty stack: the newest, or the
// newest of the first kind there is of: demoted on another CPU, not demoted, demoted on its own.
HM_FUZZ_UNTRACED size_t choice(const World& w, const std::vector<Chain>& stack, uint32_t taker) {
  if (taker == 0) return stack.size() - 1;
  size_t best = stack.size() - 1;
  int best_rank = 3;
  for (size_t i = stack.size(); i-- > 0;) {
    auto m = w.marks.find(stack[i][0]);
    uint32_t on = m == w.marks.end() ? 0 : m->second;
    int rank = on == 0 ? 1 : on == taker ? 2 : 0;
    if (rank < best_rank) best = i, best_rank = rank;
  }
  return best;
}

// The model's side of a take that returned the chain head.. of n blocks: batch `at` of class c's
// stack leaves the model (its names' buffer is back), and the chain must be that batch, intact;
// its blocks go back to their pages.
void taken(World& w, unsigned c, size_t at, Block* head, uint32_t n) {
  auto it = w.stacks.find(c);
  Chain want = std::move(it->second[at]);
  it->second.erase(it->second.begin() + static_cast<long>(at));
  w.lent -= w.named[want[0]] ? 1 : 0;
  w.named.erase(want[0]);
  w.marks.erase(want[0]);
  if (it->second.empty()) w.stacks.erase(it);
  HM_FUZZ_CHECK(n == want.size());
  HM_FUZZ_CHECK(walk_is(c, head, want));
  w.bytes -= uint64_t{n} * class_to_size(c);
  for (Block* b : want) w.give_back(b);
}

// HAKMEM_TRANSFER_RECLAIM's take: two looks at class c with no take between (every page here is
// owned by no heap, the owner asked for). The first may find the class taken from since the last
// look and take nothing; the second takes every batch, oldest first, intact; the class ends empty.
void take_idle(World& w, unsigned c) {
  for (int look = 0; look < 2; ++look) {
    Block* head = nullptr;
    while (uint32_t n = transfer_take_idle(c, nullptr, &head)) {
      HM_FUZZ_CHECK(w.stacks.count(c));
      taken(w, c, 0, head, n);  // the oldest
    }
    HM_FUZZ_CHECK(head == nullptr);
  }
  HM_FUZZ_CHECK(!w.stacks.count(c));
}

// A take of at most `most` blocks (a taker's bin with room for that many) by a taker on CPU
// taker - 1 (0: any): its batch (choice) when it is no larger, else nothing, the box unchanged.
void take(World& w, unsigned c, uint32_t most = ~0u, uint32_t taker = 0) {
  Block* head = nullptr;
  uint32_t n = transfer_take(c, &head, most, taker);
  auto it = w.stacks.find(c);
  size_t at = it == w.stacks.end() ? 0 : choice(w, it->second, taker);
  if (it == w.stacks.end() || it->second[at].size() > most) {
    HM_FUZZ_CHECK(n == 0 && head == nullptr);
    return;
  }
  taken(w, c, at, head, n);
}

// A burst's batches: each a class and a run of blocks in a pool. The pools and lists are kept
// between bursts (cleared, not freed), so a burst allocates nothing once they have grown.
struct Run {
  unsigned cls;
  uint32_t at, n;  // pool[at .. at + found): a batch the box said holds n blocks
  uint32_t found;
};
struct Op {
  bool put;
  unsigned cls;
  Run chain;  // a put's batch, in the plan's pool
  bool ok;
};
struct Thread {
  std::vector<Op> plan;
  std::vector<Run> taken;
  Chain pool;  // the blocks of the batches this thread took, as it found them
};

// The batch a thread took, recorded as it was found: at most n + 1 links followed (a longer
// chain is caught by the check of its length afterwards).
HM_FUZZ_UNTRACED void record_taken(Thread& th, unsigned cls, Block* head, uint32_t n) {
  Run r{cls, static_cast<uint32_t>(th.pool.size()), n, 0};
  for (Block* b = head; b && r.found <= n; b = b->next, ++r.found) th.pool.push_back(b);
  th.taken.push_back(r);
}

// Threads put and take at once (ops from a seed), then the box is drained: every batch in it
// before or accepted during the burst is taken exactly once, as put.
HM_FUZZ_UNTRACED void burst(World& w, unsigned threads, unsigned ops, unsigned put_pct, uint64_t seed) {
  static Thread th[5];  // the burst's threads, and the drain's (th[threads])
  static Chain plan_pool;
  plan_pool.clear();
  for (unsigned t = 0; t <= threads; ++t) th[t].plan.clear(), th[t].taken.clear(), th[t].pool.clear();
  uint64_t x = seed | 1;
  auto rnd = [&x] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  for (unsigned t = 0; t < threads; ++t)
    for (unsigned i = 0; i < ops; ++i) {
      uint64_t r = rnd();
      Op op{r % 100 < put_pct, w.cls[(r >> 8) % 3], {0, 0, 0, 0}, false};
      if (op.put) {
        uint32_t k = 1 + static_cast<uint32_t>((r >> 16) % 8);
        op.chain = {op.cls, static_cast<uint32_t>(plan_pool.size()), k, k};
        w.fresh_into(op.cls, k, plan_pool);
      }
      th[t].plan.push_back(op);
    }
  uint64_t bytes_before = w.bytes;
  std::atomic<unsigned> go{0};
  static hm_fuzz::Crew crew(4);
  crew.run_with_caller(threads, [&](unsigned t) {
    go.fetch_add(1);
    while (go.load() < threads) std::this_thread::yield();
    for (Op& op : th[t].plan) {
      if (op.put) {
        op.ok = transfer_put(op.cls, plan_pool[op.chain.at], op.chain.n, &plan_pool[op.chain.at], op.chain.n);
        continue;
      }
      Block* head = nullptr;
      if (uint32_t n = transfer_take(op.cls, &head)) record_taken(th[t], op.cls, head, n);
    }
  });
  uint64_t kept = transfer_bytes();
  HM_FUZZ_CHECK(kept <= std::max(bytes_before, w.limit()));
  Thread& drain = th[threads];
  for (unsigned c = 0; c < kClassCount; ++c) {
    Block* head = nullptr;
    while (transfer_batch_for_test(c, 0)) {
      uint32_t n = transfer_take(c, &head);
      HM_FUZZ_CHECK(n > 0);
      drain.taken.push_back(Run{c, static_cast<uint32_t>(drain.pool.size()), n, n});
      walk(c, head, n, nullptr, &drain.pool);
    }
  }
  HM_FUZZ_CHECK(transfer_bytes() == 0);

  // The batches expected back, by head: those the box held before and those it accepted.
  struct Expect {
    Block* head;
    unsigned cls;
    const Block* const* chain;
    uint32_t n;
    unsigned times;
  };
  static std::vector<Expect> expect;
  expect.clear();
  for (auto& [c, stack] : w.stacks)
    for (Chain& v : stack) expect.push_back({v[0], c, v.data(), static_cast<uint32_t>(v.size()), 0});
  for (unsigned t = 0; t < threads; ++t)
    for (Op& op : th[t].plan) {
      const Block* const* chain = plan_pool.data() + op.chain.at;
      if (op.ok) expect.push_back({plan_pool[op.chain.at], op.cls, chain, op.chain.n, 0});
      if (op.put && !op.ok)  // a refused batch is left as it was
        HM_FUZZ_CHECK(walk(op.cls, plan_pool[op.chain.at], op.chain.n, chain));
    }
  std::sort(expect.begin(), expect.end(), [](const Expect& a, const Expect& b) { return a.head < b.head; });
  for (size_t i = 1; i < expect.size(); ++i) HM_FUZZ_CHECK(expect[i - 1].head != expect[i].head);
  for (unsigned t = 0; t <= threads; ++t)
    for (const Run& tk : th[t].taken) {
      HM_FUZZ_CHECK(tk.found == tk.n);  // the chain as found had the length the box said
      Block* const* chain = th[t].pool.data() + tk.at;
      HM_FUZZ_CHECK(walk(tk.cls, chain[0], tk.n, chain));
      auto it = std::lower_bound(expect.begin(), expect.end(), chain[0],
                                 [](const Expect& e, Block* h) { return e.head < h; });
      HM_FUZZ_CHECK(it != expect.end() && it->head == chain[0]);
      HM_FUZZ_CHECK(it->cls == tk.cls && it->n == tk.n);
      HM_FUZZ_CHECK(std::equal(chain, chain + tk.n, it->chain));
      HM_FUZZ_CHECK(++it->times == 1);
      for (uint32_t i = 0; i < tk.n; ++i) {  // no block in two batches: 1 (out) -> 2 (taken)
        uint8_t& f = w.out_flag(chain[i]);
        HM_FUZZ_CHECK(f == 1);
        f = 2;
      }
    }
  for (const Expect& e : expect) HM_FUZZ_CHECK(e.times == 1);

  for (Block* b : plan_pool) w.give_back(b);
  for (auto& [c, stack] : w.stacks)
    for (Chain& v : stack)
      for (Block* b : v) w.give_back(b);
  w.stacks.clear();
  w.bytes = 0;
  w.named.clear(), w.marks.clear();  // the drain took every batch: every names buffer is back
  w.lent = 0;
}

// Empty pages an input leaves, one per segment of up to kAnchors segments, are kept instead of
// deleted: their segments then never fall empty, so the next inputs' pages come from memory
// already mapped and faulted in rather than from segments mapped, faulted in and unmapped
// again per input. Freed span memory is given back to the OS only past kPurgeMb
// (HAKMEM_PURGE_MB, 64 by default) and never by age (HAKMEM_PURGE_DELAY_MS -1; the segment
// harness covers both purges), so it stays faulted in too. The first inputs and those needing more segments still map new ones; page_new and
// page_delete run every input.
constexpr size_t kAnchors = 64;
constexpr long kPurgeMb = 1024;
void delete_or_anchor(Page* pg) {
  static std::vector<uintptr_t> anchored;  // the segments holding an anchor
  static std::vector<Page*> anchors;
  uintptr_t seg = reinterpret_cast<uintptr_t>(segment_of(reinterpret_cast<uintptr_t>(pg->start)));
  if (anchors.size() < kAnchors && std::find(anchored.begin(), anchored.end(), seg) == anchored.end())
    anchored.push_back(seg), anchors.push_back(pg);
  else
    page_delete(pg);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  transfer_process_init();  // idempotent (the fork handlers it registers: the property test)
  long saved_kb = config().transfer_kb, saved_prefetch = config().transfer_prefetch;
  config_detail::g_config.purge_mb = kPurgeMb;
  config_detail::g_config.purge_delay_ms = -1;
  // The box starts empty: every input drains it before returning.
  HM_FUZZ_CHECK(transfer_bytes() == 0);
  World w;
  w.cls[0] = in.u8() % kFastClasses;
  w.cls[1] = in.u8() % kClassCount;
  w.cls[2] = in.u8() % kClassCount;
  // The byte that picks the bound also picks the prefetch gate, fixed for the input (the model
  // checks each batch's hints against the gate in force).
  uint8_t first = in.u8();
  config_detail::g_config.transfer_kb = kBoundsKb[first % std::size(kBoundsKb)];
  config_detail::g_config.transfer_prefetch = kPrefetch[first / std::size(kBoundsKb) % std::size(kPrefetch)];
  check_box(w);
  hm_fuzz::Cadence cadence;
  while (in.more()) {
    uint8_t op = in.u8();
    switch (op % 9) {
      case 0:
      case 1:
      case 2: {
        unsigned c = w.cls[in.u8() % 3];
        uint8_t kb = in.u8();
        // Marked, from the opcode's high bits, as demoted on CPU 0, 1 or 2, or not.
        put(w, c, kb < 240 ? 1 + kb % 16 : 1 + in.u8(), static_cast<uint16_t>(op >> 3) % 4);  // mostly small batches, some up to 256
        break;
      }
      case 3:
        take(w, w.cls[in.u8() % 3], ~0u, (op >> 3) % 4);  // by a taker on CPU 0, 1 or 2, or any
        break;
      case 4: {  // bounded, as a bin with room for 1..256 blocks takes
        unsigned c = w.cls[in.u8() % 3];
        take(w, c, 1 + in.u8(), (op >> 3) % 4);
        break;
      }
      case 5: {
        uint8_t b = in.u8();  // a table bound, or any KiB from 0 to 127
        config_detail::g_config.transfer_kb = b < 128 ? kBoundsKb[b % std::size(kBoundsKb)] : b - 128;
        break;
      }
      case 6: {
        unsigned threads = 2 + in.u8() % 3, ops = 1 + in.u8() % 48, pct = 20 + in.u8() % 71;
        burst(w, threads, ops, pct, in.u64());
        break;
      }
      case 7:  // drain, newest first
        for (unsigned i = 0; i < 3; ++i)
          while (w.stacks.count(w.cls[i])) take(w, w.cls[i]);
        break;
      case 8:  // a class gone idle: its batches back to their pages
        take_idle(w, w.cls[in.u8() % 3]);
        break;
    }
    HM_FUZZ_CHECK(transfer_bytes() == w.bytes);
    if (cadence.due()) check_box(w);
  }
  check_box(w);
  // Drain the box and give every block back to its page.
  for (unsigned i = 0; i < 3; ++i)
    while (w.stacks.count(w.cls[i])) take(w, w.cls[i]);
  HM_FUZZ_CHECK(transfer_bytes() == 0);
  for (unsigned c = 0; c < kClassCount; ++c) HM_FUZZ_CHECK(transfer_batch_for_test(c, 0) == nullptr);
  HM_FUZZ_CHECK(w.out_count == 0);
  for (auto& [c, v] : w.pages)
    for (Page* pg : v) {
      HM_FUZZ_CHECK(pg->used == 0);
      delete_or_anchor(pg);
    }
  config_detail::g_config.transfer_kb = saved_kb;
  config_detail::g_config.transfer_prefetch = saved_prefetch;
  return 0;
}
