// Property test of the heap box: heap_start, heap_page_with_free, heap_page_put, heap_page_put_chain,
// heap_release_empty, heap_park_whole, heap_sort_pages, heap_retire, heap_pool_cool,
// heap_trim_abandoned, heap_for_each, heap_pool_for_each, heap_counters_total,
// abandoned_page_count and heap_process_init, on a heap of a worker thread of the test's own
// (nothing of the tcache box runs there: blocks come from page_take and go back by heap_page_put).
//
// Model: whether the worker has a heap; the blocks it holds (id -> class, page); the blocks an
// exited heap left live ("orphans": their pages wait in the pool with the parked heap or are
// abandoned). The SUT maps ids to addresses.
//   start      the worker takes a heap (the pool's or a fresh one)
//   take       a page with free blocks of a class (current page of its avail queue) gives blocks
//   put        a held block goes back to its page
//   release    a class's empty pages go back to the segment box
//   exit       the heap waits in the pool whole (park) or sorts its pages (empty ones kept within
//              HAKMEM_HEAP_POOL_MB, the rest abandoned), then retires: held blocks become orphans
//   free       the test thread frees orphans (to their pages' remote queues)
//   trim       the pool is cooled (nothing kept) and abandoned pages whose blocks came back freed
// After every command: the live heap is listed live and not pooled, every page of its queues is
// its own, of the queue's class and tag, well linked, and holds exactly the blocks the model says
// are live on it (used minus the remote queue's count); every orphan's page belongs to a
// pooled heap, to the live heap (adopted) or to no one (abandoned); the counters never go back.
#include <algorithm>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "hakmem/hakmem.h"
#include "property_common.h"
#include "config/config.h"
#include "heap/inspect.h"
#include "tcache/tcache.h"

namespace {

using namespace hm;

constexpr unsigned kClassesUsed[] = {0, 3, 40, 64, 90};

// One thread that runs the test's heap calls, so its heap lives across commands.
class Worker {
 public:
  Worker() : t_([this] { loop(); }) {}
  ~Worker() {
    run([this] { stop_ = true; });
    t_.join();
  }
  void run(std::function<void()> fn) {
    std::unique_lock<std::mutex> l(m_);
    job_ = std::move(fn);
    cv_.notify_all();
    cv_.wait(l, [this] { return !job_; });
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> l(m_);
    while (!stop_) {
      cv_.wait(l, [this] { return bool(job_); });
      job_();
      job_ = nullptr;
      cv_.notify_all();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::function<void()> job_;
  bool stop_ = false;
  std::thread t_;
};

struct Live {
  Block* b;
  unsigned cls;
  bool orphan;  // left live by an exited heap
};
// The model proper is whether the worker has a heap; the blocks it took are the test's ledger in
// the SUT (how many a take gets depends on the page it finds).
struct Model {
  bool started = false;
};
struct Sut {
  Worker worker;
  Heap* h = nullptr;
  std::map<int, Live> live;  // blocks handed out and not freed
  int next_id = 0;
  std::set<const Heap*> exited;  // heaps this test retired
  HeapCounters last{};
};

uint64_t pending(const Page* pg) { return pg->remote.load(std::memory_order_acquire) >> 48; }
const Page* page_of_block(const Block* b) { return page_of(reinterpret_cast<uintptr_t>(b)); }

bool listed(uint64_t (*each)(void (*)(Heap*, void*), void*), const Heap* h) {
  struct Find {
    const Heap* h;
    bool found = false;
  } f{h};
  each([](Heap* x, void* arg) { auto* f = static_cast<Find*>(arg); f->found = f->found || x == f->h; }, &f);
  return f.found;
}
uint64_t each_live(void (*fn)(Heap*, void*), void* arg) { return heap_for_each(fn, arg), 0; }

void check_all(const Model& m, Sut& s) {
  std::map<const Page*, uint64_t> on_page;  // live blocks on each page
  for (auto& [id, l] : s.live) on_page[page_of_block(l.b)]++;
  RC_ASSERT(m.started == (s.h != nullptr));
  if (m.started) {
    const Heap* h = s.h;
    RC_ASSERT(h->real);
    RC_ASSERT(listed(each_live, h));
    RC_ASSERT(!listed(heap_pool_for_each, h));
    for (unsigned c = 0; c < kClassCount; ++c) {
      for (const PageQueue* q : {&h->avail[c], &h->full[c]}) {
        const Page* prev = nullptr;
        uint32_t n = 0;
        for (const Page* pg = q->head; pg; prev = pg, pg = heap_page_next(pg), ++n) {
          RC_ASSERT(n < q->count);
          RC_ASSERT(bool(heap_page_prev(pg) == prev));
          RC_ASSERT(bool(pg->owner.load() == h));
          RC_ASSERT(pg->cls == c);
          RC_ASSERT(heap_page_queue(pg) == (q == &h->avail[c] ? kQueueAvail : kQueueFull));
          auto it = on_page.find(pg);
          RC_ASSERT(pg->used - pending(pg) == (it == on_page.end() ? 0u : it->second));
        }
        RC_ASSERT(n == q->count);
        RC_ASSERT(bool(q->tail == prev));
      }
    }
  }
  for (auto& [id, l] : s.live) {
    const Page* pg = page_of_block(l.b);
    RC_ASSERT(bool(pg != nullptr) && pg->cls == l.cls);
    const Heap* owner = pg->owner.load();
    if (!l.orphan) RC_ASSERT(bool(owner == s.h));
    else RC_ASSERT(owner == nullptr || (s.h && owner == s.h) || listed(heap_pool_for_each, owner));
  }
  HeapCounters t = heap_counters_total();
#define HM_HEAP_COUNTER(line, name, label, text) RC_ASSERT(t.name >= s.last.name);
#define HM_COUNTER(...)
#include "registry/counters.def"
#undef HM_HEAP_COUNTER
#undef HM_COUNTER
  s.last = t;
  hm_prop::check_invariants("heap");
}

using Cmd = rc::state::Command<Model, Sut>;

unsigned gen_class() {
  return *rc::gen::elementOf(std::vector<unsigned>(std::begin(kClassesUsed), std::end(kClassesUsed)));
}

struct Start : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.started); }
  void apply(Model& m) const override { m.started = true; }
  void run(const Model& m, Sut& s) const override {
    Heap* h = nullptr;
    bool warm = false;
    s.worker.run([&] { h = heap_start(&warm); });
    RC_ASSERT(bool(h != nullptr));
    RC_ASSERT(!h->warm);  // a thread's now, no longer waiting
    RC_CLASSIFY(s.exited.count(h) != 0, "restarted from the pool");
    RC_CLASSIFY(warm, "warm");
    s.h = h;
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "heap_start"; }
};

struct Take : Cmd {
  unsigned cls = gen_class();
  unsigned n = *rc::gen::inRange(1u, 70u);
  void checkPreconditions(const Model& m) const override { RC_PRE(m.started); }
  void apply(Model&) const override {}
  void run(const Model& m, Sut& s) const override {
    std::vector<Block*> got;
    bool current = false;
    s.worker.run([&] {
      Page* pg = heap_page_with_free(s.h, cls);
      if (!pg) return;
      current = s.h->avail[cls].head == pg && page_has_free(pg);
      Block *first, *last;
      unsigned k = page_take(pg, n, &first, &last);
      last->next = nullptr;
      for (Block* b = first; k--; b = b->next) got.push_back(b);
    });
    RC_ASSERT(current);
    RC_ASSERT(!got.empty() && got.size() <= n);
    for (Block* b : got) {
      RC_ASSERT(b->cookie == free_cookie(reinterpret_cast<uintptr_t>(b)));
      b->cookie = 0;  // handed out
      s.live[s.next_id++] = {b, cls, false};
    }
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "take(" << cls << " x" << n << ")"; }
};

int pick_live(const Sut& s, size_t pick, bool orphan) {
  std::vector<int> ids;
  for (auto& [id, l] : s.live)
    if (l.orphan == orphan) ids.push_back(id);
  return ids.empty() ? -1 : ids[pick % ids.size()];
}

struct Put : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  void checkPreconditions(const Model& m) const override { RC_PRE(m.started); }
  void apply(Model&) const override {}
  void run(const Model& m, Sut& s) const override {
    int id = pick_live(s, pick, false);
    if (id >= 0) {
      Block* b = s.live.at(id).b;
      s.live.erase(id);
      s.worker.run([&] { heap_page_put(s.h, page_of(reinterpret_cast<uintptr_t>(b)), b); });
    }
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "put(#" << pick << ")"; }
};

// heap_page_put_chain: a live block and up to `more` other live blocks of its page, linked with
// their page cookies, go back in one call; the page's queue moves and its release follow as for
// single puts.
struct PutChain : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  unsigned more = *rc::gen::inRange(1u, 6u);
  void checkPreconditions(const Model& m) const override { RC_PRE(m.started); }
  void apply(Model&) const override {}
  void run(const Model& m, Sut& s) const override {
    int id = pick_live(s, pick, false);
    if (id >= 0) {
      Page* pg = page_of(reinterpret_cast<uintptr_t>(s.live.at(id).b));
      std::vector<int> ids{id};
      for (auto& [other, l] : s.live)
        if (ids.size() <= more && other != id && !l.orphan && page_of(reinterpret_cast<uintptr_t>(l.b)) == pg) ids.push_back(other);
      Block *first = nullptr, *last = nullptr;
      for (int x : ids) {
        Block* b = s.live.at(x).b;
        s.live.erase(x);
        b->cookie = page_cookie(reinterpret_cast<uintptr_t>(b));
        if (last) last->next = b;
        else first = b;
        last = b;
      }
      unsigned n = static_cast<unsigned>(ids.size());
      s.worker.run([&] { heap_page_put_chain(s.h, pg, first, last, n); });
    }
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "put_chain(#" << pick << ", up to " << more << " more)"; }
};

struct Release : Cmd {
  unsigned cls = gen_class();
  void checkPreconditions(const Model& m) const override { RC_PRE(m.started); }
  void apply(Model&) const override {}
  void run(const Model& m, Sut& s) const override {
    s.worker.run([&] { heap_release_empty(s.h, cls); });
    for (const Page* pg = s.h->avail[cls].head; pg; pg = heap_page_next(pg)) RC_ASSERT(pg->used > 0u);
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "release(" << cls << ")"; }
};

struct Exit : Cmd {
  bool try_park = *rc::gen::arbitrary<bool>();
  void checkPreconditions(const Model& m) const override { RC_PRE(m.started); }
  void apply(Model& m) const override { m.started = false; }
  void run(const Model& m, Sut& s) const override {
    std::set<const Page*> live_pages;  // the heap's pages with blocks live
    for (auto& [id, l] : s.live)
      if (page_of_block(l.b)->owner.load() == s.h) live_pages.insert(page_of_block(l.b));
    for (auto& [id, l] : s.live) l.orphan = true;
    bool parked = false;
    uint64_t abandoned = abandoned_page_count();
    s.worker.run([&] {
      parked = try_park && heap_park_whole(s.h);
      if (!parked) heap_sort_pages(s.h, true);
      heap_retire(s.h);
    });
    RC_CLASSIFY(parked, "parked whole");
    RC_ASSERT(!s.h->real && parked == s.h->warm);
    RC_ASSERT(listed(heap_pool_for_each, s.h) && !listed(each_live, s.h));
    if (parked) {
      RC_ASSERT(abandoned_page_count() == abandoned);
      for (const Page* pg : live_pages) RC_ASSERT(bool(pg->owner.load() == s.h));
    } else {
      RC_ASSERT(abandoned_page_count() == abandoned + live_pages.size());
      for (const Page* pg : live_pages) RC_ASSERT(bool(pg->owner.load() == nullptr));
      for (unsigned c = 0; c < kClassCount; ++c) RC_ASSERT(s.h->full[c].count == 0u);
    }
    s.exited.insert(s.h);
    s.h = nullptr;
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << (try_park ? "exit(park?)" : "exit(sort)"); }
};

struct FreeOrphans : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  size_t count = *rc::gen::inRange<size_t>(1, 50);
  void apply(Model&) const override {}
  void run(const Model& m, Sut& s) const override {
    for (size_t k = 0; k < count; ++k) {
      int id = pick_live(s, pick + k, true);
      if (id < 0) break;
      hm_free(s.live.at(id).b);
      s.live.erase(id);
    }
    hm_thread_flush();  // from this thread's bins to the pages' remote queues
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "free_orphans(#" << pick << " x" << count << ")"; }
};

// The cooling function heap_pool_cool calls, for records whose other state is empty (the test's
// heaps never fill the tcache part of their records; tcache_trim cooled the others first).
void cool_test_heap(Heap* h) { heap_sort_pages(h, false); }

struct Trim : Cmd {
  void apply(Model&) const override {}
  void run(const Model& m, Sut& s) const override {
    uint64_t before = heap_counters_total().pages_freed;
    uint64_t freed = heap_pool_cool(cool_test_heap);
    freed += heap_trim_abandoned();
    RC_ASSERT(heap_counters_total().pages_freed - before == freed);
    uint64_t kept = 0;
    heap_pool_for_each([](Heap* h, void* arg) {
      for (unsigned c = 0; c < kClassCount; ++c)
        *static_cast<uint64_t*>(arg) += h->avail[c].count + h->full[c].count + h->warm + h->pooled_slices;
    }, &kept);
    RC_ASSERT(kept == 0u);
    // The abandoned pages left are exactly those with orphans still live.
    std::set<const Page*> abandoned;
    for (auto& [id, l] : s.live)
      if (page_of_block(l.b)->owner.load() == nullptr) abandoned.insert(page_of_block(l.b));
    RC_ASSERT(abandoned_page_count() == abandoned.size());
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "heap_pool_cool + heap_trim_abandoned"; }
};

RC_GTEST_PROP(HeapProperty, HeapLifeCycleMatchesModel, ()) {
  hm_free(hm_malloc(16));  // start-up, and this thread's heap
  // A later call of the box's start-up changes nothing (records keep their layout and exit).
  heap_process_init(sizeof(Heap), 0, nullptr);
  tcache_trim();  // the pool cold with the tcache records' bins empty, no abandoned page left
  RC_ASSERT(abandoned_page_count() == 0u);
  Model m;
  Sut s;
  s.last = heap_counters_total();
  check_all(m, s);
  rc::state::check(m, s, rc::state::gen::execOneOfWithArgs<Start, Take, Take, Put, Put, PutChain, Release, Exit, FreeOrphans, Trim>());
  // Leave nothing behind for the next case: every block freed, the heap retired, all trimmed.
  if (s.h) {
    s.worker.run([&] {
      heap_sort_pages(s.h, false);
      heap_retire(s.h);
    });
  }
  for (auto& [id, l] : s.live) hm_free(l.b);
  hm_thread_flush();
  tcache_trim();
  RC_ASSERT(abandoned_page_count() == 0u);
}

}  // namespace
