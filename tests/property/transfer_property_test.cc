// Property test of the transfer box: transfer_put, transfer_take and transfer_take_idle, on one
// thread, and put and take on several at once.
//
// Model: per size class a stack of batches (each the ordered list of its blocks, named by ids
// the model hands out), the byte total over all classes and the byte bound
// (HAKMEM_TRANSFER_KB, changed between commands). A put of k fresh blocks succeeds exactly
// when its class holds fewer than kTransferSlots batches and the total plus k blocks stays
// within the bound; a take returns the newest batch of its class, blocks in chain order, or, for
// a taker naming its CPU, the newest of the first kind its class holds of: demoted on another CPU,
// not demoted, demoted on the taker's (each put marks its batch with a CPU or none). After
// every command each class's stack in the box equals the model's (blocks, order, counts, free
// cookies, null-terminated chains) and transfer_bytes() equals the model's total. The threaded
// command runs putters and takers at once, then drains the box: every batch put (before or
// during it) is taken exactly once, intact, and no block is lost or duplicated.
//
// The blocks come from pages of the test's classes (page_new / page_take) and go back to them
// (page_put) when a take or a failed put returns them; every case ends with the box drained
// and every page deleted.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "config/config.h"
#include "config/inspect.h"
#include "page/page.h"
#include "property_common.h"
#include "transfer/transfer.h"
#include "transfer/inspect.h"

namespace {

using namespace hm;

// Bounds the commands choose from, in KiB: off, tight ones a few blocks reach, the default, the maximum.
const std::vector<long> kBoundsKb = {0, 1, 2, 4, 8, 16, 64, 256, 1024, 65536};

using Ids = std::vector<uint64_t>;  // a batch: its blocks' ids in chain order

struct Model {
  std::vector<unsigned> classes;            // the size classes of this case
  std::map<unsigned, std::vector<Ids>> stacks;  // class -> batches, oldest first
  std::map<uint64_t, uint16_t> demoted_on;      // a batch's first id -> its mark (absent: 0)
  // HAKMEM_TRANSFER_RECLAIM: per class, batches taken, and their number at the last idle look
  // that found the class taken from (IdleReclaimMatchesTheModel; the box's are reset to match).
  std::map<unsigned, uint32_t> takes, takes_seen;
  uint64_t bytes = 0;
  long bound_kb = 0;
  uint64_t next_id = 0;  // ids of fresh blocks
  uint64_t limit() const { return static_cast<uint64_t>(bound_kb) << 10; }
  size_t slots(unsigned cls) const {
    auto it = stacks.find(cls);
    return it == stacks.end() ? 0 : it->second.size();
  }
  bool put_fits(unsigned cls, uint32_t k) const {
    return slots(cls) < kTransferSlots && bytes + uint64_t{k} * class_to_size(cls) <= limit();
  }
  uint16_t mark(const Ids& batch) const {
    auto it = demoted_on.find(batch[0]);
    return it == demoted_on.end() ? 0 : it->second;
  }
  // The batch a take by a taker on CPU taker (plus one; 0: any) gets from a non-empty stack.
  size_t choice(const std::vector<Ids>& stack, uint32_t taker) const {
    if (taker == 0) return stack.size() - 1;
    for (int kind = 0; kind < 3; ++kind)
      for (size_t i = stack.size(); i-- > 0;) {
        uint16_t on = mark(stack[i]);
        if ((kind == 0 && on != 0 && on != taker) || (kind == 1 && on == 0) || (kind == 2 && on == taker)) return i;
      }
    return stack.size() - 1;  // not reached: every batch is of one of the kinds
  }
};

// The real side: the pages the blocks come from, the block of every id the box holds, and
// every block taken from a page and not yet put back (so a failed case still returns each
// block exactly once).
struct Sut {
  long saved_kb = config().transfer_kb;
  std::map<unsigned, std::vector<Page*>> pages;
  std::map<uint64_t, Block*> block_of;
  std::set<Block*> out;

  // A fresh block of class cls, with its free cookie.
  Block* fresh(unsigned cls) {
    std::vector<Page*>& v = pages[cls];
    Page* pg = nullptr;
    for (Page* p : v)
      if (page_has_free(p)) pg = p;
    if (!pg) {
      pg = page_new(cls, nullptr);
      RC_ASSERT(bool(pg != nullptr));
      v.push_back(pg);
    }
    Block *first = nullptr, *last = nullptr;
    RC_ASSERT(page_take(pg, 1, &first, &last) == 1u);
    RC_ASSERT(bool(first == last));
    first->next = nullptr;
    first->cookie = free_cookie(reinterpret_cast<uintptr_t>(first));
    RC_ASSERT(out.insert(first).second);
    return first;
  }
  // A chain of k fresh blocks of class cls (null-terminated), its blocks in order into *v.
  Block* fresh_chain(unsigned cls, uint32_t k, std::vector<Block*>* v) {
    v->clear();
    for (uint32_t i = 0; i < k; ++i) v->push_back(fresh(cls));
    for (uint32_t i = 0; i + 1 < k; ++i) (*v)[i]->next = (*v)[i + 1];
    return k ? (*v)[0] : nullptr;
  }
  // Gives a block back to its page (the test thread owns every page).
  void give_back(Block* b) {
    if (!out.erase(b)) return;
    b->cookie = free_cookie(reinterpret_cast<uintptr_t>(b));
    page_put(page_of(reinterpret_cast<uintptr_t>(b)), b);
  }

  ~Sut() {
    // Drain the box (batches of every class, an empty one included), give every block back,
    // delete the pages, restore the bound. No assertion here: this also runs after a failure.
    for (unsigned c = 0; c < kClassCount; ++c) {
      Block* head = nullptr;
      for (int guard = 0; guard < 4 * int{kTransferSlots} && transfer_batch_for_test(c, 0); ++guard)
        transfer_take(c, &head);
    }
    for (Block* b : std::vector<Block*>(out.begin(), out.end())) give_back(b);
    for (auto& [cls, v] : pages)
      for (Page* pg : v)
        if (pg->used == 0) page_delete(pg);  // a page still counting blocks is leaked, not corrupted
    config_detail::g_config.transfer_kb = saved_kb;
  }
};
using Cmd = rc::state::Command<Model, Sut>;

// Walks a chain of n blocks of class cls: each a block of a page of cls with its free
// cookie, the last one ending the chain. Returns the blocks in order.
std::vector<Block*> walk(unsigned cls, Block* head, uint32_t n) {
  std::vector<Block*> v;
  Block* b = head;
  for (uint32_t i = 0; i < n; ++i) {
    RC_ASSERT(bool(b != nullptr));  // the chain is not shorter than its count
    uintptr_t u = reinterpret_cast<uintptr_t>(b);
    const Page* pg = page_of(u);
    RC_ASSERT(bool(pg != nullptr));
    RC_ASSERT(pg->cls == cls);
    RC_ASSERT(page_block_index(pg, u) >= 0);
    RC_ASSERT(b->cookie == free_cookie(u));
    v.push_back(b);
    b = b->next;
  }
  RC_ASSERT(bool(b == nullptr));  // nor longer
  return v;
}

std::vector<Block*> blocks(const Sut& s, const Ids& ids) {
  std::vector<Block*> v;
  for (uint64_t id : ids) v.push_back(s.block_of.at(id));
  return v;
}

void check_all(const Model& m, const Sut& s) {
  RC_ASSERT(transfer_bytes() == m.bytes);
  RC_ASSERT(config().transfer_kb == m.bound_kb);
  for (unsigned c = 0; c < kClassCount; ++c) {
    auto it = m.stacks.find(c);
    size_t want = it == m.stacks.end() ? 0 : it->second.size();
    unsigned i = 0;
    for (; TransferBatch* b = transfer_batch_for_test(c, i); ++i) {
      RC_ASSERT(i < want);
      const Ids& ids = it->second[i];
      RC_ASSERT(b->n == ids.size());
      RC_ASSERT(b->demoted_on == m.mark(ids));
      RC_ASSERT(walk(c, b->head, b->n) == blocks(s, ids));
    }
    RC_ASSERT(i == want);
  }
  // INV-TRANSFER-1/-2 hold while the total is within the bound (a bound lowered below what
  // the box already holds breaks INV-TRANSFER-2 by design: the gate is read once at start-up).
  if (m.bytes <= m.limit()) hm_prop::check_invariants("transfer");
}

// The model's put of k fresh blocks of class cls: whether it succeeds (then the batch is on
// the class's stack); the blocks' ids start at the old next_id either way.
bool model_put(Model& m, unsigned cls, uint32_t k, uint16_t on = 0) {
  bool fits = m.put_fits(cls, k);
  if (fits) {
    Ids ids;
    for (uint32_t i = 0; i < k; ++i) ids.push_back(m.next_id + i);
    if (on) m.demoted_on[ids[0]] = on;
    m.stacks[cls].push_back(ids);
    m.bytes += uint64_t{k} * class_to_size(cls);
  }
  m.next_id += k;
  return fits;
}

// A take returned the chain head.. of n blocks of class cls: it must be the batch of `ids`, intact,
// and its blocks go back to their pages.
void expect_taken(Sut& s, unsigned cls, Block* head, uint32_t n, const Ids& ids) {
  RC_ASSERT(n == ids.size());
  RC_ASSERT(walk(cls, head, n) == blocks(s, ids));
  for (uint64_t id : ids) {
    s.give_back(s.block_of.at(id));
    s.block_of.erase(id);
  }
}

// Puts a batch of k fresh blocks of one class, `times` times in a row (so a class's stack fills),
// marked as demoted on CPU on - 1 (0: not demoted).
struct Put : Cmd {
  size_t ci;
  uint32_t k;
  unsigned times;
  uint16_t on;
  explicit Put(const Model& m)
      : ci(*rc::gen::inRange<size_t>(0, m.classes.size())),
        k(*rc::gen::weightedOneOf<uint32_t>({{6, rc::gen::inRange(1u, 9u)}, {1, rc::gen::inRange(9u, 200u)}})),
        times(*rc::gen::weightedOneOf<unsigned>({{4, rc::gen::just(1u)}, {1, rc::gen::inRange(2u, 20u)}})),
        on(*rc::gen::weightedOneOf<uint16_t>({{2, rc::gen::just<uint16_t>(0)}, {1, rc::gen::inRange<uint16_t>(1, 4)}})) {}
  void apply(Model& m) const override {
    for (unsigned t = 0; t < times; ++t) model_put(m, m.classes[ci], k, on);
  }
  void run(const Model& m0, Sut& s) const override {
    unsigned cls = m0.classes[ci];
    Model m = m0;
    for (unsigned t = 0; t < times; ++t) {
      std::vector<Block*> v;
      Block* head = s.fresh_chain(cls, k, &v);
      uint64_t id = m.next_id;
      bool ok = transfer_put(cls, head, k, nullptr, 0, on);
      RC_ASSERT(ok == model_put(m, cls, k, on));
      if (ok) {
        for (uint32_t i = 0; i < k; ++i) s.block_of[id + i] = v[i];
      } else {
        RC_ASSERT(walk(cls, head, k) == v);  // a refused batch is left as it was
        for (Block* b : v) s.give_back(b);
      }
      check_all(m, s);
    }
  }
  void show(std::ostream& os) const override {
    os << "transfer_put(class #" << ci << ", " << k << " blocks";
    if (on) os << ", demoted on CPU " << on - 1;
    if (times > 1) os << ", " << times << " times";
    os << ")";
  }
};

// Takes a batch of one class (or finds none): the newest, or a taker's on CPU taker - 1 choice.
struct Take : Cmd {
  size_t ci;
  uint32_t taker;
  explicit Take(const Model& m)
      : ci(*rc::gen::inRange<size_t>(0, m.classes.size())),
        taker(*rc::gen::weightedOneOf<uint32_t>({{1, rc::gen::just(0u)}, {1, rc::gen::inRange(1u, 4u)}})) {}
  void apply(Model& m) const override {
    unsigned cls = m.classes[ci];
    auto it = m.stacks.find(cls);
    if (it == m.stacks.end() || it->second.empty()) return;
    size_t at = m.choice(it->second, taker);
    m.takes[cls]++;
    m.bytes -= uint64_t{it->second[at].size()} * class_to_size(cls);
    m.demoted_on.erase(it->second[at][0]);
    it->second.erase(it->second.begin() + static_cast<long>(at));
    if (it->second.empty()) m.stacks.erase(it);
  }
  void run(const Model& m, Sut& s) const override {
    unsigned cls = m.classes[ci];
    Block* head = nullptr;
    uint32_t n = transfer_take(cls, &head, ~0u, taker);
    auto it = m.stacks.find(cls);
    if (it == m.stacks.end() || it->second.empty()) {
      RC_ASSERT(n == 0u);
    } else {
      expect_taken(s, cls, head, n, it->second[m.choice(it->second, taker)]);
    }
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override {
    os << "transfer_take(class #" << ci;
    if (taker) os << ", taker on CPU " << taker - 1;
    os << ")";
  }
};

// An idle look at one class (transfer_take_idle; every page here is owned by no heap, the owner
// asked for): with batches and no take since the last look that found it taken from, the oldest
// batch, intact; otherwise nothing, the class's takes marked seen when it holds batches.
struct TakeIdle : Cmd {
  size_t ci;
  explicit TakeIdle(const Model& m) : ci(*rc::gen::inRange<size_t>(0, m.classes.size())) {}
  void apply(Model& m) const override {
    unsigned cls = m.classes[ci];
    auto it = m.stacks.find(cls);
    if (it == m.stacks.end() || it->second.empty()) return;
    if (m.takes[cls] != m.takes_seen[cls]) {
      m.takes_seen[cls] = m.takes[cls];
      return;
    }
    m.bytes -= uint64_t{it->second.front().size()} * class_to_size(cls);
    m.demoted_on.erase(it->second.front()[0]);
    it->second.erase(it->second.begin());
    if (it->second.empty()) m.stacks.erase(it);
  }
  void run(const Model& m, Sut& s) const override {
    unsigned cls = m.classes[ci];
    Block* head = nullptr;
    uint32_t n = transfer_take_idle(cls, nullptr, &head);
    auto it = m.stacks.find(cls);
    uint32_t takes = m.takes.count(cls) ? m.takes.at(cls) : 0;
    uint32_t seen = m.takes_seen.count(cls) ? m.takes_seen.at(cls) : 0;
    bool idle = it != m.stacks.end() && !it->second.empty() && takes == seen;
    if (!idle) {
      RC_ASSERT(n == 0u);
      RC_ASSERT(bool(head == nullptr));
    } else {
      expect_taken(s, cls, head, n, it->second.front());
    }
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "transfer_take_idle(class #" << ci << ")"; }
};

// Changes HAKMEM_TRANSFER_KB, also below what the box holds.
struct Bound : Cmd {
  long kb = *rc::gen::elementOf(kBoundsKb);
  void apply(Model& m) const override { m.bound_kb = kb; }
  void run(const Model& m, Sut& s) const override {
    config_detail::g_config.transfer_kb = kb;
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "bound(" << kb << " KiB)"; }
};

// Several threads put and take at once (a stream of operations each, from a seed), then the
// test thread drains the box. Every batch in the box before or put during the command is
// taken exactly once, as put; refused batches stay intact; the box ends empty.
struct Threads : Cmd {
  unsigned threads = *rc::gen::inRange(2u, 5u);
  unsigned ops = *rc::gen::inRange(1u, 64u);
  unsigned put_pct = *rc::gen::inRange(20u, 90u);
  uint64_t seed = *rc::gen::arbitrary<uint64_t>();

  struct Op {
    bool put;
    unsigned cls;
    std::vector<Block*> chain;  // put: the batch
    bool ok = false;            // put: accepted
  };
  struct Taken {
    unsigned cls;
    std::vector<Block*> chain;
  };

  void apply(Model& m) const override {
    m.stacks.clear(), m.demoted_on.clear();
    m.bytes = 0;
  }
  void run(const Model& m, Sut& s) const override {
    // Each thread's operations, with the blocks of its puts taken from the pages up front
    // (pages belong to the test thread).
    std::vector<std::vector<Op>> plan(threads);
    uint64_t x = seed | 1;
    auto rnd = [&x] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
    for (auto& p : plan) {
      for (unsigned i = 0; i < ops; ++i) {
        uint64_t r = rnd();
        Op op{r % 100 < put_pct, m.classes[(r >> 8) % m.classes.size()], {}};
        if (op.put) s.fresh_chain(op.cls, 1 + static_cast<uint32_t>((r >> 16) % 8), &op.chain);
        p.push_back(std::move(op));
      }
    }
    std::vector<std::vector<Taken>> taken(threads + 1);
    std::atomic<unsigned> go{0};
    std::vector<std::thread> ts;
    for (unsigned t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        go.fetch_add(1);
        while (go.load() < threads) std::this_thread::yield();
        for (Op& op : plan[t]) {
          if (op.put) {
            op.ok = transfer_put(op.cls, op.chain[0], static_cast<uint32_t>(op.chain.size()));
          } else {
            Block* head = nullptr;
            uint32_t n = transfer_take(op.cls, &head);
            if (!n) continue;
            Taken tk{op.cls, {}};
            for (Block* b = head; b && tk.chain.size() <= n; b = b->next) tk.chain.push_back(b);
            taken[t].push_back(std::move(tk));
            if (taken[t].back().chain.size() != n) taken[t].back().chain.clear();  // flagged below
          }
        }
      });
    }
    for (auto& t : ts) t.join();
    for (auto& v : taken)
      for (Taken& tk : v)
        if (!tk.chain.empty())  // each block of a taken batch still a free block of its class
          RC_ASSERT(walk(tk.cls, tk.chain[0], static_cast<uint32_t>(tk.chain.size())) == tk.chain);

    // What the box holds now: within the bound, unless it held more before the command.
    struct Sum {
      uint64_t bytes = 0;
    } sum;
    uint64_t kept = transfer_visit(
        [](unsigned cls, const TransferBatch& b, void* arg) {
          static_cast<Sum*>(arg)->bytes += uint64_t{b.n} * class_to_size(cls);
        },
        &sum);
    RC_ASSERT(kept == sum.bytes);
    RC_ASSERT(transfer_bytes() == kept);
    RC_ASSERT(kept <= std::max(m.bytes, m.limit()));

    // Drain the rest on this thread, newest first per class.
    for (unsigned c = 0; c < kClassCount; ++c) {
      Block* head = nullptr;
      while (transfer_batch_for_test(c, 0)) {
        uint32_t n = transfer_take(c, &head);
        RC_ASSERT(n > 0u);
        taken[threads].push_back(Taken{c, walk(c, head, n)});
      }
    }
    RC_ASSERT(transfer_bytes() == 0u);

    // Every batch that was in the box: the model's, and the accepted puts.
    struct Expect {
      unsigned cls;
      std::vector<Block*> chain;
      unsigned times = 0;
    };
    std::map<Block*, Expect> expect;
    for (const auto& [cls, stack] : m.stacks)
      for (const Ids& ids : stack) RC_ASSERT(expect.emplace(s.block_of.at(ids[0]), Expect{cls, blocks(s, ids)}).second);
    for (auto& p : plan)
      for (Op& op : p) {
        if (op.put && op.ok) RC_ASSERT(expect.emplace(op.chain[0], Expect{op.cls, op.chain}).second);
        if (op.put && !op.ok)
          RC_ASSERT(walk(op.cls, op.chain[0], static_cast<uint32_t>(op.chain.size())) == op.chain);
      }
    std::set<Block*> seen;
    for (auto& v : taken)
      for (Taken& tk : v) {
        RC_ASSERT(!tk.chain.empty());  // the chain had exactly its count of blocks
        auto it = expect.find(tk.chain[0]);
        RC_ASSERT(it != expect.end());  // a batch that was put
        RC_ASSERT(it->second.cls == tk.cls);
        RC_ASSERT(it->second.chain == tk.chain);  // intact
        RC_ASSERT(++it->second.times == 1u);      // taken once
        for (Block* b : tk.chain) RC_ASSERT(seen.insert(b).second);  // no block twice
      }
    for (auto& [head, e] : expect) RC_ASSERT(e.times == 1u);  // none lost

    // Everything goes back to the pages.
    for (auto& p : plan)
      for (Op& op : p)
        for (Block* b : op.chain) s.give_back(b);
    for (auto& [id, b] : s.block_of) s.give_back(b);
    s.block_of.clear();
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override {
    os << "threads(" << threads << " x " << ops << " ops, " << put_pct << "% puts, seed " << seed << ")";
  }
};

// One case of the box against the model: one to three classes (mostly small ones, sometimes the
// largest), a bound, and a run of the commands Gen draws; then every batch left is walked, and
// every block taken from the pages is accounted for.
template <class Gen>
void box_model_case(Gen commands) {
  auto cls_gen = rc::gen::weightedOneOf<unsigned>({{4, rc::gen::inRange(0u, kFastClasses)},
                                                   {2, rc::gen::inRange(kFastClasses, kClassCount)},
                                                   {1, rc::gen::just(kClassCount - 1)}});
  std::vector<unsigned> classes = *rc::gen::container<std::vector<unsigned>>(*rc::gen::inRange(1, 4), cls_gen);
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  long kb = *rc::gen::elementOf(kBoundsKb);

  Sut s;
  // The box starts empty (no other code of this process uses it).
  RC_ASSERT(transfer_bytes() == 0u);
  for (unsigned c = 0; c < kClassCount; ++c) RC_ASSERT(transfer_batch_for_test(c, 0) == nullptr);
  config_detail::g_config.transfer_kb = kb;
  transfer_idle_reset_for_test();  // every class's takes and idle mark at 0, as the model's
  Model m;
  m.classes = classes;
  m.bound_kb = kb;
  check_all(m, s);
  rc::state::check(m, s, commands);
  // The end of the case (Sut's destructor) drains the box and deletes the pages; check here
  // that it will find every page's blocks.
  Block* head = nullptr;
  for (unsigned c = 0; c < kClassCount; ++c)
    while (transfer_batch_for_test(c, 0)) {
      uint32_t n = transfer_take(c, &head);
      std::vector<Block*> v = walk(c, head, n);
      for (Block* b : v) RC_ASSERT(s.out.count(b) == 1u);
    }
  RC_ASSERT(transfer_bytes() == 0u);
  size_t held = 0;
  for (auto& [cls, v] : s.pages)
    for (Page* pg : v) held += pg->used;
  RC_ASSERT(held == s.out.size());
}

RC_GTEST_PROP(TransferProperty, StacksMatchBatchModel, ()) {
  box_model_case(rc::state::gen::execOneOfWithArgs<Put, Put, Put, Take, Take, Bound, Threads>());
}

// HAKMEM_TRANSFER_RECLAIM: idle looks (transfer_take_idle) among puts, takes and bound changes
// match the model: a class is taken from only at a look with no take since the last look that
// found it taken from, oldest batch first.
RC_GTEST_PROP(TransferProperty, IdleReclaimMatchesTheModel, ()) {
  box_model_case(rc::state::gen::execOneOfWithArgs<Put, Put, Take, TakeIdle, TakeIdle, Bound>());
}

// The prefetch hints (HAKMEM_TRANSFER_PREFETCH): a put keeps the first min(names given, n, gate,
// kTransferHints) of the names its caller gives (the chain's first blocks, in order), for classes
// of 64 bytes and up, and none without names; a take hands the chain back whole, whatever the
// hints.
RC_GTEST_PROP(TransferProperty, HintsNameTheChainsFirstBlocks, ()) {
  const unsigned cls = *rc::gen::elementOf(std::vector<unsigned>{0, 2, 3, 5, 20, 40});
  const uint32_t n = *rc::gen::inRange(1u, 65u);
  const long gate = *rc::gen::inRange(0L, long{kTransferHints} + 1);
  const uint32_t named = *rc::gen::inRange(0u, n + 1);  // 0: the caller names none
  long saved_kb = config().transfer_kb, saved_gate = config().transfer_prefetch;
  config_detail::g_config.transfer_kb = 65536;
  config_detail::g_config.transfer_prefetch = gate;
  Page* pg = page_new(cls, nullptr);
  RC_ASSERT(pg != nullptr);
  Block *first = nullptr, *last = nullptr;
  RC_ASSERT(page_take(pg, n, &first, &last) == n);
  last->next = nullptr;
  std::vector<Block*> chain;
  for (Block* b = first; b; b = b->next) chain.push_back(b);
  for (uint32_t i = 0; i < n; ++i) chain[i]->cookie = free_cookie(reinterpret_cast<uintptr_t>(chain[i]));
  RC_ASSERT(transfer_put(cls, first, n, named ? chain.data() : nullptr, named));
  const TransferBatch* b = transfer_batch_for_test(cls, 0);
  RC_ASSERT(b != nullptr);
  uint32_t want = class_to_size(cls) < kTransferHintMinSize
                      ? 0
                      : std::min<uint32_t>({n, static_cast<uint32_t>(gate), kTransferHints, named});
  RC_ASSERT(b->hints == want);
  for (uint32_t i = 0; i < want; ++i) RC_ASSERT(b->hint[i] == chain[i]);
  Block* head = first;
  RC_ASSERT(transfer_take(cls, &head, n - 1) == 0);  // a taker with room for fewer leaves it
  RC_ASSERT(head == nullptr);
  RC_ASSERT(transfer_take(cls, &head, n) == n);
  RC_ASSERT(head == first);
  for (Block* x = head; x;) {
    Block* next = x->next;
    page_put(pg, x);
    x = next;
  }
  page_delete(pg);
  config_detail::g_config.transfer_kb = saved_kb;
  config_detail::g_config.transfer_prefetch = saved_gate;
}

// transfer_process_init registers the fork handlers that hold the box's lock across fork(), once:
// a second call changes nothing (twice registered, the prepare handler would lock the lock twice
// and the fork below would hang). After the fork each process holds its own copy of the batch.
TEST(TransferFork, ProcessInitHoldsTheLockAcrossForkOnce) {
  transfer_process_init();
  transfer_process_init();
  long saved_kb = config().transfer_kb;
  config_detail::g_config.transfer_kb = 1024;
  const unsigned cls = 5;
  Page* pg = page_new(cls, nullptr);
  ASSERT_NE(pg, nullptr);
  Block *first = nullptr, *last = nullptr;
  ASSERT_EQ(page_take(pg, 4, &first, &last), 4u);
  last->next = nullptr;
  ASSERT_TRUE(transfer_put(cls, first, 4));
  pid_t pid = fork();
  if (pid == 0) {
    Block* head = nullptr;
    uint32_t n = transfer_take(cls, &head);
    _exit(n == 4 && head == first && transfer_bytes() == 0 ? 0 : 1);
  }
  ASSERT_GT(pid, 0);
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  Block* head = nullptr;
  ASSERT_EQ(transfer_take(cls, &head), 4u);  // the child's take stayed in the child
  EXPECT_EQ(head, first);
  int batches = 0;
  uint64_t kept = transfer_visit([](unsigned, const TransferBatch&, void* arg) { ++*static_cast<int*>(arg); }, &batches);
  EXPECT_EQ(kept, 0u);
  EXPECT_EQ(batches, 0);
  while (head) {
    Block* next = head->next;
    page_put(pg, head);
    head = next;
  }
  page_delete(pg);
  config_detail::g_config.transfer_kb = saved_kb;
}

}  // namespace
