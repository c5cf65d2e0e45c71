// Property test of the tcache box: tcache_get, tcache_heap, tcache_process_init, tcache_pop, tcache_push, tcache_refill,
// tcache_flush (tcache_flush_all), tcache_trim, tcache_exit_scan and tcache_thread_exit, on the test
// thread's own heap.
//
// Model: per size class the bin as a stack of block ids (LIFO) bounded by the bin's bound, its
// spare (HAKMEM_TCACHE_SPARE: empty or a former full bin), and the blocks the program holds
// (id -> class, fill seed). The SUT maps ids to addresses.
//   pop        the top id moves to the held set (nothing when the bin is empty)
//   push       a held id goes on top; past the bound the slow free keeps the newest half, or,
//              for a class with a spare, the full bin becomes the spare (a full spare before
//              it handed on)
//   refill     (of an empty bin, as the front asks it) the spare becomes the bin and its top id
//              is held; without a spare one new held id, and the blocks the refill put in the
//              bin are drained to an unmodelled pool and checked there
//   flush      every bin and spare empty
//   trim       every bin empty, and no heap waiting in the pool keeps a page or a block
//   thread     another thread allocates blocks, exits (tcache_thread_exit runs, directly or as
//              the thread-exit hook) and hands them over: new held ids
//   remote     another thread frees held blocks
// A second property checks tcache_refill's may_borrow (realloc's new block) against the bins of
// the class's larger neighbours.
// After every command each real bin and spare equals its model stack, count == length <= bound,
// and every held block keeps its fill and lies in a page of its class.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "hakmem/hakmem.h"
#include "property_common.h"
#include "config/config.h"
#include "tcache/inspect.h"

namespace {

using namespace hm;

constexpr unsigned kClasses[] = {0, 1, 7, 63, 64, 75, 88};

struct HeldDesc {
  unsigned cls;
  uint8_t seed;
};
struct Model {
  std::map<unsigned, std::vector<int>> bins;  // back = top of the stack
  std::map<unsigned, std::vector<int>> spares;  // the same order; empty or bound ids
  std::map<unsigned, bool> has_spare;  // HAKMEM_TCACHE_SPARE, per class, read once from the heap
  std::map<int, HeldDesc> held;
  int next_id = 0;
  std::map<unsigned, uint32_t> bound;  // each class's bin bound, read once from the heap
};

struct Sut {
  std::map<int, Block*> blocks;  // every id the model knows (held or in a bin)
  std::vector<Block*> pool;      // refilled blocks outside the model, held by the test
  ~Sut() {
    // Blocks still in a bin are free; every other known block is held: free it.
    std::vector<Block*> in_bins;
    ThreadCache* h = tcache_get();
    for (unsigned c : kClasses) {
      for (Block* b = h->bins[c].head; b; b = b->next) in_bins.push_back(b);
      for (Block* b = h->spare[c]; b; b = b->next) in_bins.push_back(b);
    }
    for (auto& [id, b] : blocks)
      if (std::find(in_bins.begin(), in_bins.end(), b) == in_bins.end()) hm_free(b);
    for (Block* b : pool) hm_free(b);
    tcache_flush_all();
  }
};
using Cmd = rc::state::Command<Model, Sut>;

void hand_out(Block* b, unsigned cls, uint8_t seed) {
  unpoison_small_block(b);  // as the front does (asan build: the block may have been freed before)
  b->cookie = 0;  // as the front does when it hands a block out
  hm_prop::fill(b, class_to_size(cls), seed);
}

std::vector<int> ids_of(const std::map<unsigned, std::vector<int>>& lists, unsigned c) {
  auto it = lists.find(c);
  return it == lists.end() ? std::vector<int>{} : it->second;
}

// A bin's or spare's list holds exactly the model's ids, newest first.
void check_list(const Sut& s, unsigned c, const Block* head, const std::vector<int>& want) {
  size_t k = 0;
  for (const Block* b = head; b; b = b->next, ++k) {
    RC_ASSERT(k < want.size());
    RC_ASSERT(bool(b == s.blocks.at(want[want.size() - 1 - k])));  // LIFO: head = last pushed
    RC_ASSERT(b->cookie == free_cookie(reinterpret_cast<uintptr_t>(b)));
    Page* pg = page_of(reinterpret_cast<uintptr_t>(b));
    RC_ASSERT(bool(pg != nullptr));
    RC_ASSERT(pg->cls == c);
  }
  RC_ASSERT(k == want.size());
}

void check_all(const Model& m, const Sut& s) {
  ThreadCache* h = tcache_get();
  RC_ASSERT(h->heap.real);
  RC_ASSERT(bool(tcache_heap() == &h->heap));  // the heap box's part of the thread's cache
  for (unsigned c : kClasses) {
    const Bin& bin = h->bins[c];
    RC_ASSERT(bin.bound == m.bound.at(c));
    RC_ASSERT(bin.count() <= bin.bound);
    std::vector<int> want = ids_of(m.bins, c);
    RC_ASSERT(bin.count() == want.size());
    check_list(s, c, bin.head, want);
    std::vector<int> spare = ids_of(m.spares, c);
    RC_ASSERT(spare.empty() || (m.has_spare.at(c) && spare.size() == bin.bound));
    RC_ASSERT(h->has_spare[c] == m.has_spare.at(c));
    RC_ASSERT(tcache_spare_count(h, c) == spare.size());
    check_list(s, c, h->spare[c], spare);
  }
  for (auto& [id, d] : m.held) {
    Block* b = s.blocks.at(id);
    Page* pg = page_of(reinterpret_cast<uintptr_t>(b));
    RC_ASSERT(bool(pg != nullptr));
    RC_ASSERT(pg->cls == d.cls);
    RC_ASSERT(page_block_index(pg, reinterpret_cast<uintptr_t>(b)) >= 0);
    RC_ASSERT(hm_prop::check_fill(b, class_to_size(d.cls), d.seed));
  }
  hm_prop::check_invariants();
}

unsigned gen_class() { return kClasses[*rc::gen::inRange<size_t>(0, std::size(kClasses))]; }

struct Refill : Cmd {
  unsigned cls = gen_class();
  uint8_t seed = *rc::gen::arbitrary<uint8_t>();
  void checkPreconditions(const Model& m) const override {
    auto it = m.bins.find(cls);
    RC_PRE(it == m.bins.end() || it->second.empty());
  }
  void apply(Model& m) const override {
    auto& spare = m.spares[cls];
    if (spare.empty()) {
      m.held[m.next_id++] = {cls, seed};
      return;
    }
    m.held[spare.back()] = {cls, seed};  // the spare becomes the bin, its top handed out
    spare.pop_back();
    m.bins[cls] = spare;
    spare.clear();
  }
  void run(const Model& m, Sut& s) const override {
    ThreadCache* h = tcache_get();
    Block* b = tcache_refill(&h, cls);
    RC_ASSERT(bool(b != nullptr));
    RC_ASSERT(bool(h == tcache_get()));
    std::vector<int> spare = ids_of(m.spares, cls);
    if (!spare.empty()) {
      RC_ASSERT(bool(b == s.blocks.at(spare.back())));
      hand_out(b, cls, seed);
      check_all(nextState(m), s);
      return;
    }
    const Bin& bin = h->bins[cls];
    const uint32_t fill = m.bound.at(cls) / 2;
    RC_ASSERT(bin.count() <= fill);
    RC_ASSERT(b->cookie == free_cookie(reinterpret_cast<uintptr_t>(b)));  // it was a free block
    RC_ASSERT(page_of(reinterpret_cast<uintptr_t>(b))->cls == cls);
    for (Block* x = bin.head; x; x = x->next) RC_ASSERT(bool(x != b));
    hand_out(b, cls, seed);
    s.blocks[m.next_id] = b;
    // Drain what the refill put in the bin into the unmodelled pool.
    unsigned k = 0;
    while (Block* x = tcache_pop(h, cls)) {
      RC_ASSERT(x->cookie == free_cookie(reinterpret_cast<uintptr_t>(x)));
      RC_ASSERT(page_of(reinterpret_cast<uintptr_t>(x))->cls == cls);
      x->cookie = 0;
      s.pool.push_back(x);
      ++k;
    }
    RC_ASSERT(k <= fill);
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "tcache_refill(" << cls << ")"; }
};

struct Pop : Cmd {
  unsigned cls = gen_class();
  uint8_t seed = *rc::gen::arbitrary<uint8_t>();
  void apply(Model& m) const override {
    auto& st = m.bins[cls];
    if (st.empty()) return;
    m.held[st.back()] = {cls, seed};
    st.pop_back();
  }
  void run(const Model& m, Sut& s) const override {
    // A class the size mapping gives for its own size pops through the fast lane's lookup too.
    size_t sz = class_to_size(cls);
    bool small = sz <= kLaneMax && size_to_class(sz) == cls;
    Block* b = small ? tcache_pop_small(tcache_get(), sz) : tcache_pop(tcache_get(), cls);
    auto it = m.bins.find(cls);
    if (it == m.bins.end() || it->second.empty()) {
      RC_ASSERT(bool(b == nullptr));
    } else {
      RC_ASSERT(bool(b == s.blocks.at(it->second.back())));
      hand_out(b, cls, seed);
    }
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "tcache_pop(" << cls << ")"; }
};

struct Push : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.held.empty()); }
  int id(const Model& m) const {
    auto it = m.held.begin();
    std::advance(it, static_cast<long>(pick % m.held.size()));
    return it->first;
  }
  void apply(Model& m) const override {
    int i = id(m);
    unsigned cls = m.held.at(i).cls;
    m.held.erase(i);
    auto& st = m.bins[cls];
    if (st.size() >= m.bound.at(cls) && m.has_spare.at(cls)) {  // slow free: the bin becomes the spare
      m.spares[cls] = st;
      st.clear();
    } else if (st.size() >= m.bound.at(cls)) {  // slow free: keep the newest bound/2, flush the rest
      st.erase(st.begin(), st.end() - m.bound.at(cls) / 2);
    }
    st.push_back(i);
  }
  void run(const Model& m, Sut& s) const override {
    int i = id(m);
    Block* b = s.blocks.at(i);
    const HeldDesc& d = m.held.at(i);
    RC_ASSERT(hm_prop::check_fill(b, class_to_size(d.cls), d.seed));
    b->cookie = free_cookie(reinterpret_cast<uintptr_t>(b));  // as the front does on free
    ThreadCache* h = tcache_get();
    bool room = h->bins[d.cls].count() < h->bins[d.cls].bound;
    Page* pg = page_of(reinterpret_cast<uintptr_t>(b));
    bool pushed = tcache_push(h, pg, b);
    RC_ASSERT(pushed == room);
    if (!pushed) tcache_free_slow(page_of(reinterpret_cast<uintptr_t>(b)), b);
    // Flushed blocks went back to their pages: no longer known to the model.
    Model next = nextState(m);
    for (auto it = s.blocks.begin(); it != s.blocks.end();) {
      bool known = next.held.count(it->first) != 0;
      for (auto* lists : {&next.bins, &next.spares})
        for (auto& [c, st] : *lists) known = known || std::find(st.begin(), st.end(), it->first) != st.end();
      it = known ? std::next(it) : s.blocks.erase(it);
    }
    check_all(next, s);
  }
  void show(std::ostream& os) const override { os << "tcache_push(#" << pick << ")"; }
};

// After the bins went back to their pages: their blocks are no longer known to the model.
void forget_bin_blocks(const Model& m, Sut& s) {
  for (auto* lists : {&m.bins, &m.spares})
    for (auto& [c, st] : *lists)
      for (int id : st) s.blocks.erase(id);
}

struct Flush : Cmd {
  void apply(Model& m) const override { m.bins.clear(), m.spares.clear(); }
  void run(const Model& m, Sut& s) const override {
    tcache_flush_all();
    forget_bin_blocks(m, s);
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "tcache_flush_all()"; }
};

// malloc_trim's part: the bins empty as with a flush, and no heap waiting in the pool keeps a
// page or a warm bin; held blocks (some of them on pages of waiting heaps) are untouched.
struct Trim : Cmd {
  void apply(Model& m) const override { m.bins.clear(), m.spares.clear(); }
  void run(const Model& m, Sut& s) const override {
    tcache_trim();
    forget_bin_blocks(m, s);
    uint64_t kept = 0;
    heap_pool_for_each([](Heap* h, void* arg) {
      for (unsigned c = 0; c < kClassCount; ++c)
        *static_cast<uint64_t*>(arg) += h->avail[c].count + h->full[c].count + tcache_of(h)->bins[c].count() +
                                           tcache_spare_count(tcache_of(h), c) + h->warm;
    }, &kept);
    RC_ASSERT(kept == 0u);
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "tcache_trim()"; }
};

// Another thread allocates blocks and exits; the blocks outlive it.
struct ThreadExit : Cmd {
  unsigned cls = gen_class();
  unsigned n = *rc::gen::inRange(1u, 40u);
  bool direct = *rc::gen::arbitrary<bool>();
  uint8_t seed = *rc::gen::arbitrary<uint8_t>();
  void apply(Model& m) const override {
    for (unsigned k = 0; k < n; ++k) m.held[m.next_id++] = {cls, static_cast<uint8_t>(seed + k)};
  }
  void run(const Model& m, Sut& s) const override {
    std::vector<Block*> got(n);
    size_t size = class_to_size(cls);
    std::thread([&] {
      std::vector<void*> scratch;
      for (unsigned k = 0; k < n; ++k) {
        got[k] = static_cast<Block*>(hm_malloc(size));
        scratch.push_back(hm_malloc(size));  // freed below: leaves free blocks in the bins
      }
      for (void* p : scratch) hm_free(p);
      // Exit the heap explicitly (the thread then continues on a fresh one) or at thread exit.
      if (direct) tcache_thread_exit(tcache_get());
    }).join();
    for (unsigned k = 0; k < n; ++k) {
      RC_ASSERT(bool(got[k] != nullptr));
      hand_out(got[k], cls, static_cast<uint8_t>(seed + k));
      s.blocks[m.next_id + static_cast<int>(k)] = got[k];
    }
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override {
    os << "thread_exit(" << cls << " x" << n << (direct ? ", tcache_thread_exit" : ", at exit") << ")";
  }
};

// Another thread frees some held blocks (remote frees into this thread's pages).
struct RemoteFree : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  size_t count = *rc::gen::inRange<size_t>(1, 20);
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.held.empty()); }
  std::vector<int> ids(const Model& m) const {
    std::vector<int> v;
    for (auto& [id, d] : m.held) v.push_back(id);
    std::vector<int> out;
    for (size_t k = 0; k < std::min(count, v.size()); ++k) out.push_back(v[(pick + k) % v.size()]);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
  void apply(Model& m) const override {
    for (int id : ids(m)) m.held.erase(id);
  }
  void run(const Model& m, Sut& s) const override {
    std::vector<Block*> v;
    for (int id : ids(m)) v.push_back(s.blocks.at(id)), s.blocks.erase(id);
    std::thread([&] {
      for (Block* b : v) hm_free(b);
    }).join();
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "remote_free(#" << pick << " x" << count << ")"; }
};

// tcache_refill with may_borrow (realloc's new block, HAKMEM_BORROW): after any mix of blocks
// freed into the bins of a class's larger neighbours, the refill of the class's empty bin returns
// a free block that is either of the class itself (every neighbour bin untouched) or the top of
// the first non-empty bin among the next HAKMEM_BORROW larger classes (that bin one shorter,
// the others untouched). Either way the block is handed out once and the heap stays consistent.
RC_GTEST_PROP(TcacheProperty, BorrowTakesTheNearestLargerBinTop, ()) {
  const unsigned cls = gen_class();
  std::vector<unsigned> near;  // the classes borrow() looks at, nearest first
  for (unsigned c = cls, k = 0; k < static_cast<unsigned>(config().borrow) && class_to_size(c) < kMaxSmall; ++k)
    near.push_back(c = size_to_class(class_to_size(c) + 1));
  std::vector<unsigned> fills;  // blocks to free into each neighbour's bin first
  for (size_t k = 0; k < near.size(); ++k) fills.push_back(*rc::gen::inRange(0u, 4u));
  const bool fresh_page = *rc::gen::arbitrary<bool>();  // whether cls first gives its pages back

  struct Restore {
    long ms;
    ~Restore() { config_detail::g_config.bin_decay_ms = ms; }
  } restore{config().bin_decay_ms};
  config_detail::g_config.bin_decay_ms = 0;
  hm_free(hm_malloc(16));  // start this thread's heap
  tcache_flush_all();
  ThreadCache* h = tcache_get();
  std::vector<void*> live;
  for (size_t k = 0; k < near.size(); ++k) {
    std::vector<void*> v;
    for (unsigned i = 0; i < fills[k]; ++i) v.push_back(hm_malloc(class_to_size(near[k])));
    for (void* p : v) hm_free(p);
  }
  if (!fresh_page) live.push_back(hm_malloc(class_to_size(cls)));  // cls keeps a page with free blocks
  while (Block* x = tcache_pop(h, cls)) hand_out(x, cls, 1), live.push_back(x);  // cls's bin empty
  std::vector<Block*> tops;
  std::vector<uint32_t> counts;
  for (unsigned c : near) tops.push_back(h->bins[c].head), counts.push_back(h->bins[c].count());
  // HAKMEM_BIN_DECAY_MS (0 here: a pass every 16 refills): when this refill is the pass's, a bin
  // as the last pass saw it is emptied first (its blocks back to the pages) and has nothing to lend.
  const bool decays = h->decay_refills + 1 >= kDecayRefills;
  for (size_t k = 0; k < near.size(); ++k)
    if (decays && counts[k] && tops[k] == h->decay_head[near[k]] && counts[k] == h->decay_count[near[k]]) counts[k] = 0;
  RC_CLASSIFY(decays, "decay pass");

  Block* b = tcache_refill(&h, cls, true);
  RC_ASSERT(bool(b != nullptr));
  RC_ASSERT(b->cookie == free_cookie(reinterpret_cast<uintptr_t>(b)));
  unsigned got = page_of(reinterpret_cast<uintptr_t>(b))->cls;
  size_t from = near.size();  // index of the neighbour it came from, if borrowed
  if (got != cls) {
    for (size_t k = 0; k < near.size() && from == near.size(); ++k)
      if (counts[k]) from = k;
    RC_ASSERT(from < near.size());
    RC_ASSERT(got == near[from]);
    RC_ASSERT(bool(b == tops[from]));
  }
  RC_CLASSIFY(got != cls, "borrowed");
  for (size_t k = 0; k < near.size(); ++k) RC_ASSERT(h->bins[near[k]].count() == counts[k] - (k == from ? 1 : 0));
  hand_out(b, got, 7);
  RC_ASSERT(hm_prop::check_fill(b, class_to_size(got), 7));
  hm_prop::check_invariants();
  hm_free(b);
  for (void* p : live) hm_free(p);
  tcache_flush_all();
}

// tcache_exit_scan: after any mix of mallocs and frees of a few classes, the scan of the bins
// is quiet; with one block of them freed a second time (never handed out again), the scan
// reports it as a double free naming the page box (checked in a forked child, exit 99 when the
// scan returns without a report).
RC_GTEST_PROP(TcacheProperty, ExitScanReportsExactlyTheBlockFreedTwice, ()) {
  auto sizes = *rc::gen::container<std::vector<size_t>>(*rc::gen::inRange<size_t>(1, 64),
                                                        rc::gen::element<size_t>(16, 48, 200, 1000, 5000));
  auto keep_every = *rc::gen::inRange<size_t>(2, 5);
  auto twice = *rc::gen::inRange<size_t>(0, sizes.size());
  auto between = *rc::gen::inRange<size_t>(0, 8);  // frees of other blocks between the two frees
  std::vector<void*> all;
  for (size_t n : sizes) all.push_back(hm_malloc(n));
  std::vector<void*> kept;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i == twice) continue;
    if (i % keep_every == 0) kept.push_back(all[i]);
    else hm_free(all[i]);
  }
  tcache_exit_scan();  // clean: returns
  pid_t pid = fork();
  RC_ASSERT(pid >= 0);
  if (pid == 0) {
    int fd = open("/dev/null", O_WRONLY);
    dup2(fd, 2);
    hm_free(all[twice]);
    for (size_t i = 0; i < between && i < kept.size(); ++i) hm_free(kept[i]);
    hm_free(all[twice]);
    tcache_exit_scan();
    _exit(99);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  RC_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
  hm_free(all[twice]);
  for (void* p : kept) hm_free(p);
  tcache_flush_all();
}

// HAKMEM_TCACHE_SPARE: a thread frees any number of its own blocks of a class with a spare, in
// any order, then mallocs some back. Each free into a full bin sets the bin aside whole as the
// spare (one swap) after handing a full spare on (one flush); each malloc pops the bin and, the
// bin empty, takes the spare back whole. The bin and the spare match that model block for block,
// and so does every block the mallocs return while the two hold any.
RC_GTEST_PROP(TcacheProperty, SpareHoldsAFullBinSetAsideWhole, ()) {
  hm_free(hm_malloc(16));  // start this thread's heap
  tcache_flush_all();      // the transfer box empty: every block below is of this heap's pages
  ThreadCache* h = tcache_get();
  std::vector<unsigned> with_spare;
  for (size_t size : {16, 64, 128, 256, 512})
    if (h->has_spare[size_to_class(size)]) with_spare.push_back(size_to_class(size));
  RC_PRE(!with_spare.empty());  // HAKMEM_TCACHE_SPARE=0 (or bounds too small for a spare)
  const unsigned cls = *rc::gen::elementOf(with_spare);
  const uint32_t bound = h->bins[cls].bound;
  const auto n = *rc::gen::inRange<size_t>(1, 3 * bound + 2);
  std::vector<void*> blocks(n);
  for (void*& p : blocks) p = hm_malloc(class_to_size(cls));
  std::vector<size_t> order(n);  // the order of the frees: a permutation
  for (size_t k = 0; k < n; ++k) order[k] = k;
  std::shuffle(order.begin(), order.end(), std::mt19937(*rc::gen::arbitrary<uint32_t>()));
  const auto frees = *rc::gen::inRange<size_t>(0, n + 1);
  tcache_flush_all();  // the mallocs' leftovers out of the bin
  const HeapCounters before = h->heap.counters;
  std::vector<void*> bin, spare;  // back = top
  uint64_t swaps = 0, flushes = 0;
  for (size_t k = 0; k < frees; ++k) {
    void* p = blocks[order[k]];
    hm_free(p);
    if (bin.size() == bound) {
      flushes += !spare.empty();
      spare = bin, bin.clear(), ++swaps;
    }
    bin.push_back(p);
  }
  auto matches = [&](Block* head, const std::vector<void*>& want) {
    size_t k = 0;
    for (Block* b = head; b; b = b->next, ++k)
      if (k >= want.size() || b != want[want.size() - 1 - k]) return false;
    return k == want.size();
  };
  RC_ASSERT(matches(h->bins[cls].head, bin));
  RC_ASSERT(matches(h->spare[cls], spare));
  RC_ASSERT(h->heap.counters.spare_swaps - before.spare_swaps == swaps);
  RC_ASSERT(h->heap.counters.flushes - before.flushes == flushes);
  hm_prop::check_invariants();
  const auto mallocs = *rc::gen::inRange<size_t>(0, bin.size() + spare.size() + 1);
  std::vector<void*> again;
  for (size_t k = 0; k < mallocs; ++k) {
    if (bin.empty()) bin = spare, spare.clear();
    void* p = hm_malloc(class_to_size(cls));
    RC_ASSERT(bool(p == bin.back()));
    bin.pop_back();
    again.push_back(p);
  }
  RC_ASSERT(matches(h->bins[cls].head, bin));
  RC_ASSERT(matches(h->spare[cls], spare));
  for (void* p : again) hm_free(p);
  for (size_t k = frees; k < n; ++k) hm_free(blocks[order[k]]);
  tcache_flush_all();
  hm_prop::check_invariants();
}

// HAKMEM_BIN_GROW: any mix of a thread building and dropping its own blocks of a class with a
// spare, freeing another thread's, and flushing keeps the bin's bound its start-up bound times a
// power of two no larger than 2^HAKMEM_BIN_GROW (and no more than a bin may hold), its count
// within it, its spare empty or exactly a bound's worth, and every block intact; a flush puts the
// bound back, and an own drop of four bins' worth and one more from an empty cache, built again,
// doubles it (unless the gate is 0).
RC_GTEST_PROP(TcacheProperty, GrownBinsStayWithinTheirLimits, ()) {
  hm_free(hm_malloc(16));  // start this thread's heap
  tcache_flush_all();
  ThreadCache* h = tcache_get();
  std::vector<unsigned> with_spare;
  for (size_t size : {16, 64, 256})
    if (h->has_spare[size_to_class(size)]) with_spare.push_back(size_to_class(size));
  RC_PRE(!with_spare.empty());
  const unsigned cls = *rc::gen::elementOf(with_spare);
  const size_t size = class_to_size(cls);
  const uint32_t base = h->bins[cls].bound;
  std::vector<void*> mine;
  auto holds = [&] {
    const Bin& bin = h->bins[cls];
    const uint32_t g = h->grown[cls];
    RC_ASSERT(g <= static_cast<uint32_t>(config().bin_grow));
    RC_ASSERT(bin.bound == base << g && bin.bound <= kBinBoundMax);
    RC_ASSERT(bin.count() <= bin.bound);
    RC_ASSERT(tcache_spare_count(h, cls) == (h->spare[cls] ? bin.bound : 0u));
  };
  const auto steps = *rc::gen::inRange(1, 12);
  for (int step = 0; step < steps; ++step) {
    switch (*rc::gen::inRange(0, 5)) {
      case 0: {  // build
        const auto n = *rc::gen::inRange<size_t>(1, 6 * base);
        for (size_t k = 0; k < n; ++k) {
          void* p = hm_malloc(size);
          RC_ASSERT(bool(p != nullptr));
          std::memset(p, 0x5a, size);
          mine.push_back(p);
        }
        break;
      }
      case 1: case 2: {  // drop some, in any order
        std::shuffle(mine.begin(), mine.end(), std::mt19937(*rc::gen::arbitrary<uint32_t>()));
        const auto n = *rc::gen::inRange<size_t>(0, mine.size() + 1);
        for (size_t k = 0; k < n; ++k) {
          const auto* c = static_cast<unsigned char*>(mine.back());
          RC_ASSERT(std::all_of(c, c + size, [](unsigned char x) { return x == 0x5a; }));
          hm_free(mine.back());
          mine.pop_back();
        }
        break;
      }
      case 3: {  // another thread's blocks, freed here
        std::vector<void*> theirs(*rc::gen::inRange<size_t>(1, 3 * base));
        std::thread([&] {
          for (void*& p : theirs) p = hm_malloc(size);
        }).join();
        for (void* p : theirs) hm_free(p);
        break;
      }
      default: {  // a flush: the bound back where it started
        tcache_flush_all();
        RC_ASSERT(h->bins[cls].bound == base && h->grown[cls] == 0);
        break;
      }
    }
    holds();
  }
  for (void* p : mine) hm_free(p);
  tcache_flush_all();
  holds();
  hm_prop::check_invariants();
  // From an empty cache: an own drop of four bins' worth and one more, then the build again.
  std::vector<void*> v(4 * base + 1);
  for (void*& p : v) p = hm_malloc(size);
  tcache_flush_all();
  for (void* p : v) hm_free(p);
  for (void*& p : v) p = hm_malloc(size);
  const bool room = config().bin_grow > 0;
  RC_ASSERT(h->bins[cls].bound == (room ? 2 * base : base));
  for (void* p : v) hm_free(p);
  tcache_flush_all();
  hm_prop::check_invariants();
}

RC_GTEST_PROP(TcacheProperty, BinsMatchLifoModel, ()) {
  hm_free(hm_malloc(16));  // start this thread's heap
  tcache_process_init();   // a later call changes nothing: the bins below keep their bounds
  tcache_flush_all();
  Model m;
  for (unsigned c : kClasses) {
    m.has_spare[c] = tcache_get()->has_spare[c];
    RC_ASSERT(!m.has_spare[c] || config().tcache_spare);
    m.bound[c] = tcache_get()->bins[c].bound;
    RC_ASSERT(m.bound[c] > 0u);
  }
  Sut s;
  check_all(m, s);
  rc::state::check(m, s,
                   rc::state::gen::execOneOfWithArgs<Refill, Refill, Pop, Pop, Push, Push, Push, Flush, Trim,
                                                     ThreadExit, RemoteFree>());
}

}  // namespace
