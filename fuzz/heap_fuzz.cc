// Fuzz harness of the heap box on a helper thread's heap, with nothing of the tcache box on that
// thread: heap_start, heap_page_with_free (blocks then taken with page_take), heap_page_put,
// heap_page_put_chain,
// heap_release_empty, the exit (heap_park_whole or heap_sort_pages, then heap_retire), frees of
// the blocks an exited heap left live (from this thread, to the pages' remote queues), and the
// trim (heap_pool_cool, heap_trim_abandoned); heap_for_each, heap_pool_for_each,
// heap_counters_total and abandoned_page_count are read to check each step, heap_process_init is
// called again (a later call changes nothing). Model: the blocks handed out (each with the page it
// came from), counted per page.
// After a take, put, release or free, each page of the classes it touched holds exactly the
// model's blocks (used minus the remote queue's count); after a start, exit or trim, on the
// cadence and at the end, every page of the live heap does, each held block is still on the page
// it came from and that page belongs to the live heap (a left block's: to it, a pooled one or no
// one), and on the cadence the checkers run.
#include <algorithm>
#include <functional>
#include <vector>

#include "fuzz_common.h"
#include "fuzz_crew.h"
#include "hakmem/hakmem.h"
#include "heap/inspect.h"
#include "tcache/tcache.h"

using namespace hm;

namespace {

constexpr unsigned kClasses[] = {0, 1, 5, 40, 64, 90};

struct Held {
  Block* b;
  const Page* pg;  // its page when taken: the page it is counted on
  bool left;       // its heap exited
};

uint64_t pending(const Page* pg) { return pg->remote.load(std::memory_order_acquire) >> 48; }
// A held block's page, which must still be one (not given back to the segment).
HM_FUZZ_UNTRACED const Page* page_of_block(const Block* b) {
  const Page* pg = page_of(reinterpret_cast<uintptr_t>(b));
  HM_FUZZ_CHECK(pg != nullptr);
  return pg;
}

// The model's blocks per page, kept as the operations hand blocks out and take them back: an
// open-addressed table kept between inputs (cleared, not freed), so counting allocates nothing.
class Counts {
 public:
  HM_FUZZ_UNTRACED uint64_t get(const Page* pg) const {
    for (size_t i = slot(pg);; i = (i + 1) & (slots_.size() - 1))
      if (slots_[i].pg == pg || !slots_[i].pg) return slots_[i].n;
  }
  HM_FUZZ_UNTRACED void add(const Page* pg, int d) {
    if (2 * (used_.size() + 1) > slots_.size()) grow();
    size_t i = slot(pg);
    while (slots_[i].pg != pg && slots_[i].pg) i = (i + 1) & (slots_.size() - 1);
    if (!slots_[i].pg) slots_[i].pg = pg, used_.push_back(i);
    slots_[i].n += static_cast<uint64_t>(d);
  }
  HM_FUZZ_UNTRACED void clear() {
    for (size_t i : used_) slots_[i] = {};
    used_.clear();
  }

 private:
  struct Slot {
    const Page* pg = nullptr;
    uint64_t n = 0;
  };
  size_t slot(const Page* pg) const {
    return (reinterpret_cast<uintptr_t>(pg) * 0x9e3779b97f4a7c15ull >> 32) & (slots_.size() - 1);
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    used_.clear();
    for (const Slot& x : old)
      if (x.pg) {
        size_t i = slot(x.pg);
        while (slots_[i].pg) i = (i + 1) & (slots_.size() - 1);
        slots_[i] = x, used_.push_back(i);
      }
  }
  std::vector<Slot> slots_ = std::vector<Slot>(4096);
  std::vector<size_t> used_;
};
// A held block leaves the model: it must still be on the page it is counted on.
HM_FUZZ_UNTRACED void drop(Counts& counts, const Held& x) {
  HM_FUZZ_CHECK(page_of_block(x.b) == x.pg);
  counts.add(x.pg, -1);
}

// The pool's heaps, in a list kept between calls.
const std::vector<const Heap*>& pool() {
  static std::vector<const Heap*> v;
  v.clear();
  heap_pool_for_each([](Heap* x, void* arg) { static_cast<std::vector<const Heap*>*>(arg)->push_back(x); }, &v);
  return v;
}
bool pooled(const Heap* h) {
  const std::vector<const Heap*>& v = pool();
  return std::find(v.begin(), v.end(), h) != v.end();
}
// How many distinct pages a list of pages holds (sorted in place).
size_t distinct(std::vector<const Page*>& v) {
  std::sort(v.begin(), v.end());
  return static_cast<size_t>(std::unique(v.begin(), v.end()) - v.begin());
}

// The model's loops over the blocks an operation took or over every held block, out of coverage
// tracing (their comparisons, one per block, guide nothing): the k blocks from first on, taken
// from pages of h, become held.
HM_FUZZ_UNTRACED void hold(std::vector<Held>& held, Counts& counts, const Heap* h, Block* first, unsigned k) {
  HM_FUZZ_CHECK(k > 0);
  for (Block* b = first; k--; b = b->next) {
    const Page* pg = page_of_block(b);
    HM_FUZZ_CHECK(pg->owner.load() == h);
    b->cookie = 0, held.push_back({b, pg, false}), counts.add(pg, 1);
  }
}
// Every held block is left as its heap h exits; returns how many pages of h hold one.
HM_FUZZ_UNTRACED size_t leave(std::vector<Held>& held, const Heap* h, std::vector<const Page*>& pages) {
  pages.clear();
  for (Held& x : held) {
    if (const Page* pg = page_of_block(x.b); pg->owner.load() == h) pages.push_back(pg);
    x.left = true;
  }
  return distinct(pages);
}
// Every held block of the live heap h goes back to its page (on h's thread).
HM_FUZZ_UNTRACED void put_back_live(const std::vector<Held>& held, Heap* h) {
  for (const Held& x : held)
    if (!x.left) heap_page_put(h, const_cast<Page*>(x.pg), x.b);
}
// How many abandoned pages (no owner) hold a held block.
HM_FUZZ_UNTRACED size_t abandoned_holding(const std::vector<Held>& held, std::vector<const Page*>& pages) {
  pages.clear();
  for (const Held& x : held)
    if (const Page* pg = page_of_block(x.b); pg->owner.load() == nullptr) pages.push_back(pg);
  return distinct(pages);
}
bool live(const Heap* h) {
  struct Find {
    const Heap* h;
    bool found = false;
  } f{h};
  heap_for_each([](Heap* x, void* arg) { auto* f = static_cast<Find*>(arg); f->found = f->found || x == f->h; }, &f);
  return f.found;
}

// Every page of class c of the live heap holds exactly the model's blocks (used minus the remote
// queue's count), in well-linked queues.
HM_FUZZ_UNTRACED void check_class(const Heap* h, unsigned c, const Counts& on_page) {
  for (const PageQueue* q : {&h->avail[c], &h->full[c]}) {
    uint32_t n = 0;
    const Page* prev = nullptr;
    for (const Page* pg = q->head; pg; prev = pg, pg = heap_page_next(pg), ++n) {
      HM_FUZZ_CHECK(n < q->count && heap_page_prev(pg) == prev && pg->owner.load() == h && pg->cls == c);
      HM_FUZZ_CHECK(pg->used - pending(pg) == on_page.get(pg));
    }
    HM_FUZZ_CHECK(n == q->count && q->tail == prev);
  }
}

// After an operation that touched the pages of some classes: those classes' queues (O(1) in the
// size of the rest of the model).
HM_FUZZ_UNTRACED void check_touched(const Heap* h, const std::vector<unsigned>& classes, const Counts& on_page) {
  if (!h) return;
  HM_FUZZ_CHECK(h->real);
  for (unsigned c : classes) check_class(h, c, on_page);
}

// The full walk: every held block still on the page it is counted on (so the counts are those
// of the held blocks, each added on taking and removed on giving back), every queue of the live
// heap, every held block's owner (the live heap, or for a left block a pooled one or no one),
// the checkers.
HM_FUZZ_UNTRACED void check(const Heap* h, const std::vector<Held>& held, const Counts& counts, bool invariants) {
  const std::vector<const Heap*>& in_pool = pool();
  for (const Held& x : held) {
    const Page* pg = page_of_block(x.b);
    HM_FUZZ_CHECK(pg == x.pg);
    const Heap* owner = pg->owner.load();
    if (!x.left) HM_FUZZ_CHECK(owner == h);
    else HM_FUZZ_CHECK(owner == nullptr || owner == h || std::find(in_pool.begin(), in_pool.end(), owner) != in_pool.end());
  }
  if (h) {
    HM_FUZZ_CHECK(h->real && live(h));
    for (unsigned c = 0; c < kClassCount; ++c) check_class(h, c, counts);
  }
  if (invariants) hm_fuzz::check_invariants("heap");
}

void cool_bare_heap(Heap* h) { heap_sort_pages(h, false); }  // the test's records hold nothing else

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  hm_free(hm_malloc(16));  // start-up
  heap_process_init(sizeof(Heap), 0, nullptr);  // once only: changes nothing
  tcache_trim();  // every pooled record cold (bins empty), so cool_bare_heap may cool them all
  static hm_fuzz::Crew helper(1);
  hm_fuzz::Cadence cadence;
  Heap* h = nullptr;
  // The model, kept between inputs (cleared, not freed): the held blocks, the held blocks per
  // page, the classes whose pages the operation changed, a list of pages the operations fill.
  static std::vector<Held> held;
  static Counts counts;
  static std::vector<unsigned> touched;
  static std::vector<const Page*> pages;
  held.clear(), counts.clear();
  HeapCounters last = heap_counters_total();
  // One operation and the checks after it. Start, take, put, release and exit run on the helper
  // (the heap's thread), frees and trims on this thread; a run of helper operations is one job.
  auto step = [&] {
    uint8_t op = in.u8();
    unsigned cls = kClasses[in.u8() % std::size(kClasses)];
    uint8_t arg = in.u8();
    bool whole = false;  // the operation may have changed any page: the full walk after it
    touched.clear();
    switch (op % 7) {
      case 0: {  // start
        if (h) break;
        bool warm;
        h = heap_start(&warm);
        HM_FUZZ_CHECK(h && !pooled(h));
        whole = true;  // a warm heap from the pool comes with its pages
        break;
      }
      case 1: {  // take
        if (!h) break;
        Page* pg = heap_page_with_free(h, cls);
        HM_FUZZ_CHECK(pg && h->avail[cls].head == pg);
        Block *first, *last;
        unsigned k = page_take(pg, 1 + arg % 80, &first, &last);
        last->next = nullptr;
        hold(held, counts, h, first, k);
        touched.push_back(cls);
        break;
      }
      case 2: {  // put
        if (!h || held.empty()) break;
        size_t i = (arg * 131u) % held.size();
        if (held[i].left) break;
        Block* b = held[i].b;
        drop(counts, held[i]);
        held[i] = held.back();
        held.pop_back();
        touched.push_back(page_of_block(b)->cls);
        if (arg & 1) {  // with up to 3 more held blocks of its page, as one chain
          Page* pg = const_cast<Page*>(page_of_block(b));
          b->cookie = page_cookie(reinterpret_cast<uintptr_t>(b));
          Block* last = b;
          unsigned n = 1;
          for (size_t j = 0; j < held.size() && n < 4;) {
            if (held[j].left || page_of_block(held[j].b) != pg) {
              ++j;
              continue;
            }
            Block* x = held[j].b;
            drop(counts, held[j]);
            held[j] = held.back();
            held.pop_back();
            x->cookie = page_cookie(reinterpret_cast<uintptr_t>(x));
            last->next = x;
            last = x;
            ++n;
          }
          heap_page_put_chain(h, pg, b, last, n);
        } else {
          heap_page_put(h, const_cast<Page*>(page_of_block(b)), b);
        }
        break;
      }
      case 3:  // release
        if (!h) break;
        heap_release_empty(h, cls);
        for (const Page* pg = h->avail[cls].head; pg; pg = heap_page_next(pg)) HM_FUZZ_CHECK(pg->used > 0);
        touched.push_back(cls);
        break;
      case 4: {  // exit
        if (!h) break;
        uint64_t abandoned = abandoned_page_count();
        size_t mine = leave(held, h, pages);
        bool parked = (arg & 1) && heap_park_whole(h);
        if (!parked) heap_sort_pages(h, arg & 2);
        heap_retire(h);
        HM_FUZZ_CHECK(!h->real && h->warm == parked && pooled(h) && !live(h));
        HM_FUZZ_CHECK(abandoned_page_count() == abandoned + (parked ? 0 : mine));
        h = nullptr;
        whole = true;
        break;
      }
      case 5: {  // frees of left blocks, from this thread
        for (size_t k = 0, i = arg; k < 1 + arg % 16 && !held.empty(); ++k, i += 7) {
          size_t j = i % held.size();
          if (!held[j].left) continue;
          touched.push_back(page_of_block(held[j].b)->cls);
          drop(counts, held[j]);
          hm_free(held[j].b);
          held[j] = held.back();
          held.pop_back();
        }
        hm_thread_flush();
        break;
      }
      case 6: {  // trim
        uint64_t before = heap_counters_total().pages_freed;
        uint64_t freed = heap_pool_cool(cool_bare_heap);
        freed += heap_trim_abandoned();
        HM_FUZZ_CHECK(heap_counters_total().pages_freed - before == freed);
        HM_FUZZ_CHECK(abandoned_page_count() == abandoned_holding(held, pages));
        whole = true;
        break;
      }
    }
    HeapCounters t = heap_counters_total();
    HM_FUZZ_CHECK(t.pages_new >= last.pages_new && t.pages_freed >= last.pages_freed &&
                  t.pages_abandoned >= last.pages_abandoned && t.pages_adopted >= last.pages_adopted);
    last = t;
    bool due = cadence.due();
    if (whole || due) check(h, held, counts, due);
    else check_touched(h, touched, counts);
  };
  auto on_helper = [&] { return in.peek() % 7 <= 4; };
  auto helper_run = [&](unsigned) {
    while (in.more() && held.size() < 2048 && on_helper()) step();
  };
  while (in.more() && held.size() < 2048) {
    if (!on_helper()) step();
    else helper.run(1, std::ref(helper_run));  // a reference: no copy of the captures per job
  }
  check(h, held, counts, true);
  // The input leaves nothing behind: the live heap's blocks put back to it on its thread and the
  // heap retired, every left block freed from this thread, all trimmed.
  if (h) helper.run(1, [&](unsigned) { put_back_live(held, h), heap_sort_pages(h, false), heap_retire(h); });
  for (const Held& x : held)
    if (x.left) hm_free(x.b);
  hm_thread_flush();
  tcache_trim();
  HM_FUZZ_CHECK(abandoned_page_count() == 0);
  hm_fuzz::check_invariants("heap");
  return 0;
}
