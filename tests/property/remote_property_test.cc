// Property test of the remote box: remote_push and remote_collect across threads.
//
// Model: three disjoint sets of a page's blocks -- held by the "program", pending in the
// remote queue (a multiset in general; here each block is pushed at most once, so a set),
// and on the owner's local free list. Pushes run on several threads at once; collects run
// on the owning (test) thread, also while pushers are running. After every command the
// queue's contents equal the pending set, used == capacity - local free, and the local free
// list equals the model.
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "property_common.h"
#include "remote/remote.h"
#include "remote/inspect.h"

namespace {

using namespace hm;

struct Model {
  std::set<uint32_t> held, pending, local;
};
struct Sut {
  Page* pg = nullptr;
  ~Sut() {
    if (!pg) return;
    remote_collect(pg);
    for (uint32_t i = 0; i < pg->capacity; ++i) {
      auto* b = reinterpret_cast<Block*>(pg->start + size_t{i} * pg->block_size);
      if (!is_free_cookie(b->cookie, reinterpret_cast<uintptr_t>(b))) page_put(pg, b);
    }
    page_delete(pg);
  }
};
using Cmd = rc::state::Command<Model, Sut>;

Block* slot(const Page* pg, uint32_t i) { return reinterpret_cast<Block*>(pg->start + size_t{i} * pg->block_size); }
uint32_t index_of(const Page* pg, const Block* b) {
  return static_cast<uint32_t>(page_block_index(pg, reinterpret_cast<uintptr_t>(b)));
}

std::set<uint32_t> walk(const Page* pg, const Block* b) {
  std::set<uint32_t> out;
  for (; b; b = b->next) {
    long i = page_block_index(pg, reinterpret_cast<uintptr_t>(b));
    RC_ASSERT(i >= 0);  // only blocks of this page
    RC_ASSERT(out.insert(static_cast<uint32_t>(i)).second);  // no block twice, no cycle
  }
  return out;
}

void check_all(const Model& m, const Sut& s) {
  RC_ASSERT(remote_pending(s.pg) == m.pending.size());
  RC_ASSERT(walk(s.pg, remote_head(s.pg)) == m.pending);
  RC_ASSERT(walk(s.pg, s.pg->free) == m.local);
  RC_ASSERT(s.pg->used == s.pg->capacity - m.local.size());
  hm_prop::check_invariants("remote");
}

// The held blocks chosen by a command: every `stride`-th one starting at `offset`.
std::vector<uint32_t> choose(const std::set<uint32_t>& held, size_t offset, size_t stride, size_t max) {
  std::vector<uint32_t> v(held.begin(), held.end()), out;
  for (size_t i = offset % (v.empty() ? 1 : v.size()); i < v.size() && out.size() < max; i += stride) out.push_back(v[i]);
  return out;
}

// Several threads push chains of held blocks at once.
struct Push : Cmd {
  size_t offset = *rc::gen::arbitrary<size_t>();
  size_t stride = *rc::gen::inRange<size_t>(1, 4);
  size_t max = *rc::gen::inRange<size_t>(1, 300);
  unsigned threads = *rc::gen::inRange(1u, 5u);
  unsigned chain = *rc::gen::inRange(1u, 9u);
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.held.empty()); }
  void apply(Model& m) const override {
    for (uint32_t i : choose(m.held, offset, stride, max)) m.held.erase(i), m.pending.insert(i);
  }
  void run(const Model& m, Sut& s) const override {
    std::vector<uint32_t> v = choose(m.held, offset, stride, max);
    std::vector<std::thread> ts;
    for (unsigned t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        // This thread's share, linked into chains of up to `chain` blocks.
        std::vector<Block*> mine;
        for (size_t i = t; i < v.size(); i += threads) mine.push_back(slot(s.pg, v[i]));
        for (size_t i = 0; i < mine.size(); i += chain) {
          size_t e = std::min(mine.size(), i + chain);
          for (size_t j = i; j + 1 < e; ++j) mine[j]->next = mine[j + 1];
          for (size_t j = i; j < e; ++j) mine[j]->cookie = page_cookie(reinterpret_cast<uintptr_t>(mine[j]));
          remote_push(s.pg, mine[i], mine[e - 1], static_cast<unsigned>(e - i));
        }
      });
    }
    for (auto& t : ts) t.join();
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override {
    os << "remote_push(" << threads << " threads, chains of " << chain << ", max " << max << ")";
  }
};

// The owner collects the queue.
struct Collect : Cmd {
  void apply(Model& m) const override {
    m.local.insert(m.pending.begin(), m.pending.end());
    m.pending.clear();
  }
  void run(const Model& m, Sut& s) const override {
    RC_ASSERT(remote_collect(s.pg) == m.pending.size());
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "remote_collect()"; }
};

// Pushers and the collecting owner run at the same time; every pushed block is collected
// exactly once by the end.
struct PushWhileCollecting : Cmd {
  size_t max = *rc::gen::inRange<size_t>(1, 400);
  unsigned threads = *rc::gen::inRange(1u, 4u);
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.held.empty()); }
  void apply(Model& m) const override {
    for (uint32_t i : choose(m.held, 0, 1, max)) m.held.erase(i), m.local.insert(i);
    m.local.insert(m.pending.begin(), m.pending.end());
    m.pending.clear();
  }
  void run(const Model& m, Sut& s) const override {
    std::vector<uint32_t> v = choose(m.held, 0, 1, max);
    std::atomic<unsigned> done{0};
    std::vector<std::thread> ts;
    for (unsigned t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        for (size_t i = t; i < v.size(); i += threads) {
          Block* b = slot(s.pg, v[i]);
          b->cookie = page_cookie(reinterpret_cast<uintptr_t>(b));
          remote_push(s.pg, b, b, 1);
        }
        done.fetch_add(1);
      });
    }
    size_t collected = 0;
    while (done.load() < threads) collected += remote_collect(s.pg);
    for (auto& t : ts) t.join();
    collected += remote_collect(s.pg);
    RC_ASSERT(collected == v.size() + m.pending.size());
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "push_while_collecting(" << threads << ", " << max << ")"; }
};

RC_GTEST_PROP(RemoteProperty, QueueMatchesMultisetModelAcrossThreads, ()) {
  unsigned cls = *rc::gen::inRange(0u, 70u);
  Sut s;
  s.pg = page_new(cls, nullptr);
  RC_ASSERT(bool(s.pg != nullptr));
  Model m;
  Block *first, *last;
  unsigned n = page_take(s.pg, s.pg->capacity, &first, &last);
  RC_ASSERT(n == s.pg->capacity);
  for (Block* b = first; n--; b = b->next) b->cookie = 0, m.held.insert(index_of(s.pg, b));
  check_all(m, s);
  rc::state::check(m, s, rc::state::gen::execOneOfWithArgs<Push, Push, Collect, PushWhileCollecting>());
}

}  // namespace
