// Property test of the tcache box: tcache_get, tcache_heap, tcache_process_init, tcache_pop, tcache_push, tcache_refill,
// tcache_flush (tcache_flush_all), tcache_trim, tcache_exit_scan and tcache_thread_exit, on the test
// thread's own heap.
//
// Model: per size class the bin as a stack of block ids (LIFO) bounded by the bin's bound,
// and the blocks the program holds (id -> class, fill seed). The SUT maps ids to addresses.
//   pop        the top id moves to the held set (nothing when the bin is empty)
//   push       a held id goes on top; past the bound the slow free keeps the newest half
//   refill     (of an empty bin, as the front asks it) one new held id; the blocks it put in
//              the bin are drained to an unmodelled pool and checked there
//   flush      every bin empty
//   trim       every bin empty, and no heap waiting in the pool keeps a page or a block
//   thread     another thread allocates blocks, exits (tcache_thread_exit runs, directly or as
//              the thread-exit hook) and hands them over: new held ids
//   remote     another thread frees held blocks
// A second property checks tcache_refill's may_borrow (realloc's new block) against the bins of
// the class's larger neighbours.
// After every command each real bin equals its model stack, count == length <= bound, and
// every held block keeps its fill and lies in a page of its class.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
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
    for (unsigned c : kClasses)
      for (Block* b = h->bins[c].head; b; b = b->next) in_bins.push_back(b);
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

void check_all(const Model& m, const Sut& s) {
  ThreadCache* h = tcache_get();
  RC_ASSERT(h->heap.real);
  RC_ASSERT(bool(tcache_heap() == &h->heap));  // the heap box's part of the thread's cache
  for (unsigned c : kClasses) {
    const Bin& bin = h->bins[c];
    RC_ASSERT(bin.bound == m.bound.at(c));
    RC_ASSERT(bin.count() <= bin.bound);
    auto it = m.bins.find(c);
    std::vector<int> want = it == m.bins.end() ? std::vector<int>{} : it->second;
    RC_ASSERT(bin.count() == want.size());
    size_t k = 0;
    for (Block* b = bin.head; b; b = b->next, ++k) {
      RC_ASSERT(k < want.size());
      RC_ASSERT(bool(b == s.blocks.at(want[want.size() - 1 - k])));  // LIFO: head = last pushed
      RC_ASSERT(b->cookie == free_cookie(reinterpret_cast<uintptr_t>(b)));
      Page* pg = page_of(reinterpret_cast<uintptr_t>(b));
      RC_ASSERT(bool(pg != nullptr));
      RC_ASSERT(pg->cls == c);
    }
    RC_ASSERT(k == want.size());
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
  void apply(Model& m) const override { m.held[m.next_id++] = {cls, seed}; }
  void run(const Model& m, Sut& s) const override {
    ThreadCache* h = tcache_get();
    Block* b = tcache_refill(&h, cls);
    RC_ASSERT(bool(b != nullptr));
    RC_ASSERT(bool(h == tcache_get()));
    const Bin& bin = h->bins[cls];
    RC_ASSERT(bin.count() <= bin.bound / 2);
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
    RC_ASSERT(k <= m.bound.at(cls) / 2);
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
    if (st.size() >= m.bound.at(cls)) {  // slow free: keep the newest bound/2, flush the rest
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
    bool pushed = tcache_push(h, page_of(reinterpret_cast<uintptr_t>(b)), b);
    RC_ASSERT(pushed == room);
    if (!pushed) tcache_free_slow(page_of(reinterpret_cast<uintptr_t>(b)), b);
    // Flushed blocks went back to their pages: no longer known to the model.
    Model next = nextState(m);
    for (auto it = s.blocks.begin(); it != s.blocks.end();) {
      bool known = next.held.count(it->first) != 0;
      for (auto& [c, st] : next.bins) known = known || std::find(st.begin(), st.end(), it->first) != st.end();
      it = known ? std::next(it) : s.blocks.erase(it);
    }
    check_all(next, s);
  }
  void show(std::ostream& os) const override { os << "tcache_push(#" << pick << ")"; }
};

// After the bins went back to their pages: their blocks are no longer known to the model.
void forget_bin_blocks(const Model& m, Sut& s) {
  for (auto& [c, st] : m.bins)
    for (int id : st) s.blocks.erase(id);
}

struct Flush : Cmd {
  void apply(Model& m) const override { m.bins.clear(); }
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
  void apply(Model& m) const override { m.bins.clear(); }
  void run(const Model& m, Sut& s) const override {
    tcache_trim();
    forget_bin_blocks(m, s);
    uint64_t kept = 0;
    heap_pool_for_each([](Heap* h, void* arg) {
      for (unsigned c = 0; c < kClassCount; ++c)
        *static_cast<uint64_t*>(arg) += h->avail[c].count + h->full[c].count + tcache_of(h)->bins[c].count() + h->warm;
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

RC_GTEST_PROP(TcacheProperty, BinsMatchLifoModel, ()) {
  hm_free(hm_malloc(16));  // start this thread's heap
  tcache_process_init();   // a later call changes nothing: the bins below keep their bounds
  tcache_flush_all();
  Model m;
  for (unsigned c : kClasses) {
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
