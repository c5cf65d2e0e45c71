// Fuzz harness of the transfer box: transfer_put and transfer_take of input-chosen batches over
// three input-chosen size classes, with the byte bound (HAKMEM_TRANSFER_KB) changed between
// operations, against a model of each class's stack of batches and the byte total: a put
// succeeds exactly when the class holds fewer than kTransferSlots batches and the total stays
// within the bound, a take returns the newest batch intact, every batch in the box matches the
// model and transfer_bytes() equals its total. A threaded burst puts and takes from several
// threads at once, then drains the box: every batch put is taken exactly once, intact.
// Blocks come from pages of the classes and go back to them; every input ends with the box
// drained, every page deleted and the bound restored. After each operation the byte total is
// checked; every batch against the model and the checkers run on the cadence and at the end.
// The burst's threads are a persistent crew of helpers.
#include <algorithm>
#include <atomic>
#include <iterator>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "config/config.h"
#include "config/inspect.h"
#include "fuzz_common.h"
#include "fuzz_crew.h"
#include "page/page.h"
#include "transfer/transfer.h"
#include "transfer/inspect.h"

using namespace hm;

namespace {

constexpr long kBoundsKb[] = {0, 1, 2, 4, 8, 16, 64, 256, 1024, 65536};

using Chain = std::vector<Block*>;

struct World {
  unsigned cls[3];
  std::map<unsigned, std::vector<Page*>> pages;
  std::map<unsigned, std::vector<Chain>> stacks;  // the model: class -> batches, oldest first
  uint64_t bytes = 0;
  // Blocks taken from the pages and not yet put back: a flag per block of each page.
  std::map<const Page*, std::vector<uint8_t>> out;
  size_t out_count = 0;
  uint8_t& out_flag(Block* b) {
    uintptr_t u = reinterpret_cast<uintptr_t>(b);
    const Page* pg = page_of(u);
    long i = page_block_index(pg, u);
    HM_FUZZ_CHECK(i >= 0);
    std::vector<uint8_t>& v = out[pg];
    if (v.size() <= static_cast<size_t>(i)) v.resize(pg->capacity);
    return v[static_cast<size_t>(i)];
  }

  uint64_t limit() const { return static_cast<uint64_t>(config().transfer_kb) << 10; }

  Block* fresh(unsigned c) {
    std::vector<Page*>& v = pages[c];
    Page* pg = nullptr;  // the newest page with a free block
    for (auto it = v.rbegin(); !pg && it != v.rend(); ++it)
      if (page_has_free(*it)) pg = *it;
    if (!pg) {
      pg = page_new(c, nullptr);
      HM_FUZZ_CHECK(pg != nullptr);
      v.push_back(pg);
    }
    Block *first = nullptr, *last = nullptr;
    HM_FUZZ_CHECK(page_take(pg, 1, &first, &last) == 1);
    first->next = nullptr;
    first->cookie = free_cookie(reinterpret_cast<uintptr_t>(first));
    uint8_t& f = out_flag(first);
    HM_FUZZ_CHECK(!f);
    f = 1, ++out_count;
    return first;
  }
  Chain fresh_chain(unsigned c, uint32_t k) {
    Chain v;
    for (uint32_t i = 0; i < k; ++i) v.push_back(fresh(c));
    for (uint32_t i = 0; i + 1 < k; ++i) v[i]->next = v[i + 1];
    return v;
  }
  void give_back(Block* b) {
    uint8_t& f = out_flag(b);
    HM_FUZZ_CHECK(f);
    f = 0, --out_count;
    b->cookie = free_cookie(reinterpret_cast<uintptr_t>(b));
    page_put(page_of(reinterpret_cast<uintptr_t>(b)), b);
  }
};

// The n blocks of the chain at head, checked: blocks of pages of class c with their free
// cookies, null-terminated after exactly n.
Chain walk(unsigned c, Block* head, uint32_t n) {
  Chain v;
  Block* b = head;
  for (uint32_t i = 0; i < n; ++i) {
    HM_FUZZ_CHECK(b != nullptr);
    uintptr_t u = reinterpret_cast<uintptr_t>(b);
    const Page* pg = page_of(u);
    HM_FUZZ_CHECK(pg != nullptr && pg->cls == c && page_block_index(pg, u) >= 0);
    HM_FUZZ_CHECK(b->cookie == free_cookie(u));
    v.push_back(b);
    b = b->next;
  }
  HM_FUZZ_CHECK(b == nullptr);
  return v;
}

void check_box(const World& w) {
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
      HM_FUZZ_CHECK(walk(c, b->head, b->n) == it->second[i]);
    }
    HM_FUZZ_CHECK(i == want);
  }
  // A bound lowered below what the box holds breaks INV-TRANSFER-2 by design (the gate is
  // read once at start-up), so the checkers run only within it.
  if (w.bytes <= w.limit()) hm_fuzz::check_invariants("transfer");
}

void put(World& w, unsigned c, uint32_t k) {
  Chain v = w.fresh_chain(c, k);
  auto& stack = w.stacks[c];
  bool fits = stack.size() < kTransferSlots && w.bytes + uint64_t{k} * class_to_size(c) <= w.limit();
  bool ok = transfer_put(c, v[0], k);
  HM_FUZZ_CHECK(ok == fits);
  if (ok) {
    stack.push_back(v);
    w.bytes += uint64_t{k} * class_to_size(c);
  } else {
    HM_FUZZ_CHECK(walk(c, v[0], k) == v);  // a refused batch is left as it was
    for (Block* b : v) w.give_back(b);
  }
  if (stack.empty()) w.stacks.erase(c);
}

void take(World& w, unsigned c) {
  Block* head = nullptr;
  uint32_t n = transfer_take(c, &head);
  auto it = w.stacks.find(c);
  if (it == w.stacks.end()) {
    HM_FUZZ_CHECK(n == 0);
    return;
  }
  Chain want = it->second.back();
  it->second.pop_back();
  if (it->second.empty()) w.stacks.erase(it);
  HM_FUZZ_CHECK(n == want.size());
  HM_FUZZ_CHECK(walk(c, head, n) == want);
  w.bytes -= uint64_t{n} * class_to_size(c);
  for (Block* b : want) w.give_back(b);
}

// Threads put and take at once (ops from a seed), then the box is drained: every batch in it
// before or accepted during the burst is taken exactly once, as put.
void burst(World& w, unsigned threads, unsigned ops, unsigned put_pct, uint64_t seed) {
  struct Op {
    bool put;
    unsigned cls;
    Chain chain;
    bool ok = false;
  };
  struct Taken {
    unsigned cls;
    Chain chain;
    uint32_t n;
  };
  std::vector<std::vector<Op>> plan(threads);
  uint64_t x = seed | 1;
  auto rnd = [&x] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  for (auto& p : plan)
    for (unsigned i = 0; i < ops; ++i) {
      uint64_t r = rnd();
      Op op{r % 100 < put_pct, w.cls[(r >> 8) % 3], {}};
      if (op.put) op.chain = w.fresh_chain(op.cls, 1 + static_cast<uint32_t>((r >> 16) % 8));
      p.push_back(std::move(op));
    }
  uint64_t bytes_before = w.bytes;
  std::vector<std::vector<Taken>> taken(threads + 1);
  std::atomic<unsigned> go{0};
  static hm_fuzz::Crew crew(4);
  crew.run(threads, [&](unsigned t) {
    go.fetch_add(1);
    while (go.load() < threads) std::this_thread::yield();
    for (Op& op : plan[t]) {
      if (op.put) {
        op.ok = transfer_put(op.cls, op.chain[0], static_cast<uint32_t>(op.chain.size()));
        continue;
      }
      Block* head = nullptr;
      uint32_t n = transfer_take(op.cls, &head);
      if (!n) continue;
      Taken tk{op.cls, {}, n};
      for (Block* b = head; b && tk.chain.size() <= n; b = b->next) tk.chain.push_back(b);
      taken[t].push_back(std::move(tk));
    }
  });
  uint64_t kept = transfer_bytes();
  HM_FUZZ_CHECK(kept <= std::max(bytes_before, w.limit()));
  for (unsigned c = 0; c < kClassCount; ++c) {
    Block* head = nullptr;
    while (transfer_batch_for_test(c, 0)) {
      uint32_t n = transfer_take(c, &head);
      HM_FUZZ_CHECK(n > 0);
      taken[threads].push_back(Taken{c, walk(c, head, n), n});
    }
  }
  HM_FUZZ_CHECK(transfer_bytes() == 0);

  struct Expect {
    unsigned cls;
    Chain chain;
    unsigned times = 0;
  };
  std::map<Block*, Expect> expect;
  for (auto& [c, stack] : w.stacks)
    for (Chain& v : stack) HM_FUZZ_CHECK(expect.emplace(v[0], Expect{c, v}).second);
  for (auto& p : plan)
    for (Op& op : p) {
      if (op.ok) HM_FUZZ_CHECK(expect.emplace(op.chain[0], Expect{op.cls, op.chain}).second);
      if (op.put && !op.ok)  // a refused batch is left as it was
        HM_FUZZ_CHECK(walk(op.cls, op.chain[0], static_cast<uint32_t>(op.chain.size())) == op.chain);
    }
  std::set<Block*> seen;
  for (auto& v : taken)
    for (Taken& tk : v) {
      HM_FUZZ_CHECK(tk.chain.size() == tk.n);
      HM_FUZZ_CHECK(walk(tk.cls, tk.chain[0], tk.n) == tk.chain);
      auto it = expect.find(tk.chain[0]);
      HM_FUZZ_CHECK(it != expect.end());
      HM_FUZZ_CHECK(it->second.cls == tk.cls && it->second.chain == tk.chain);
      HM_FUZZ_CHECK(++it->second.times == 1);
      for (Block* b : tk.chain) HM_FUZZ_CHECK(seen.insert(b).second);
    }
  for (auto& [head, e] : expect) HM_FUZZ_CHECK(e.times == 1);

  for (auto& p : plan)
    for (Op& op : p)
      for (Block* b : op.chain) w.give_back(b);
  for (auto& [c, stack] : w.stacks)
    for (Chain& v : stack)
      for (Block* b : v) w.give_back(b);
  w.stacks.clear();
  w.bytes = 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  transfer_process_init();  // idempotent (the fork handlers it registers: the property test)
  long saved_kb = config().transfer_kb;
  // The box starts empty: every input drains it before returning.
  HM_FUZZ_CHECK(transfer_bytes() == 0);
  World w;
  w.cls[0] = in.u8() % kFastClasses;
  w.cls[1] = in.u8() % kClassCount;
  w.cls[2] = in.u8() % kClassCount;
  config_detail::g_config.transfer_kb = kBoundsKb[in.u8() % std::size(kBoundsKb)];
  check_box(w);
  hm_fuzz::Cadence cadence;
  while (in.more()) {
    uint8_t op = in.u8();
    switch (op % 8) {
      case 0:
      case 1:
      case 2: {
        unsigned c = w.cls[in.u8() % 3];
        uint8_t kb = in.u8();
        put(w, c, kb < 240 ? 1 + kb % 16 : 1 + in.u8());  // mostly small batches, some up to 256
        break;
      }
      case 3:
      case 4:
        take(w, w.cls[in.u8() % 3]);
        break;
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
      page_delete(pg);
    }
  config_detail::g_config.transfer_kb = saved_kb;
  return 0;
}
