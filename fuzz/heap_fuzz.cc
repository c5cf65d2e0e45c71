// Fuzz harness of the heap box on a helper thread's heap, with nothing of the tcache box on that
// thread: heap_start, heap_page_with_free (blocks then taken with page_take), heap_page_put,
// heap_release_empty, the exit (heap_park_whole or heap_sort_pages, then heap_retire), frees of
// the blocks an exited heap left live (from this thread, to the pages' remote queues), and the
// trim (heap_pool_cool, heap_trim_abandoned); heap_for_each, heap_pool_for_each,
// heap_counters_total and abandoned_page_count are read to check each step, heap_process_init is
// called again (a later call changes nothing). Model: the blocks handed out, counted per page.
// After a take, put, release or free, each page of the classes it touched holds exactly the
// model's blocks (used minus the remote queue's count); after a start, exit or trim, on the
// cadence and at the end, every page of the live heap does, each held block's page belongs to the
// live heap (a left block's: to it, a pooled one or no one), and on the cadence the checkers run.
#include <algorithm>
#include <set>
#include <unordered_map>
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
  bool left;  // its heap exited
};

uint64_t pending(const Page* pg) { return pg->remote.load(std::memory_order_acquire) >> 48; }
// A held block's page, which must still be one (not given back to the segment).
const Page* page_of_block(const Block* b) {
  const Page* pg = page_of(reinterpret_cast<uintptr_t>(b));
  HM_FUZZ_CHECK(pg != nullptr);
  return pg;
}

// The model's blocks per page, kept as the operations hand blocks out and take them back.
using Counts = std::unordered_map<const Page*, uint64_t>;
void count(Counts& on_page, const Block* b, int d) {
  auto it = on_page.emplace(page_of_block(b), 0).first;
  if ((it->second += static_cast<uint64_t>(d)) == 0) on_page.erase(it);
}

std::vector<const Heap*> pool() {
  std::vector<const Heap*> v;
  heap_pool_for_each([](Heap* x, void* arg) { static_cast<std::vector<const Heap*>*>(arg)->push_back(x); }, &v);
  return v;
}
bool pooled(const Heap* h) {
  std::vector<const Heap*> v = pool();
  return std::find(v.begin(), v.end(), h) != v.end();
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
      auto it = on_page.find(pg);
      HM_FUZZ_CHECK(pg->used - pending(pg) == (it == on_page.end() ? 0u : it->second));
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

// The full walk: the counts rebuilt from the held blocks, every queue of the live heap, every
// held block's owner (the live heap, or for a left block a pooled one or no one), the checkers.
HM_FUZZ_UNTRACED void check(const Heap* h, const std::vector<Held>& held, const Counts& counts, bool invariants) {
  Counts on_page;
  for (const Held& x : held) on_page[page_of_block(x.b)]++;
  HM_FUZZ_CHECK(on_page == counts);
  if (h) {
    HM_FUZZ_CHECK(h->real && live(h));
    for (unsigned c = 0; c < kClassCount; ++c) check_class(h, c, on_page);
  }
  std::vector<const Heap*> in_pool = pool();
  for (const Held& x : held) {
    const Heap* owner = page_of_block(x.b)->owner.load();
    if (!x.left) HM_FUZZ_CHECK(owner == h);
    else HM_FUZZ_CHECK(owner == nullptr || owner == h || std::find(in_pool.begin(), in_pool.end(), owner) != in_pool.end());
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
  std::vector<Held> held;
  Counts counts;                 // the held blocks per page
  std::vector<unsigned> touched;  // the classes whose pages the operation changed
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
        std::vector<Block*> got;
        Page* pg = heap_page_with_free(h, cls);
        HM_FUZZ_CHECK(pg && h->avail[cls].head == pg);
        Block *first, *last;
        unsigned k = page_take(pg, 1 + arg % 80, &first, &last);
        last->next = nullptr;
        for (Block* b = first; k--; b = b->next) got.push_back(b);
        HM_FUZZ_CHECK(!got.empty());
        for (Block* b : got) b->cookie = 0, held.push_back({b, false}), count(counts, b, 1);
        for (Block* b : got) HM_FUZZ_CHECK(page_of_block(b)->owner.load() == h);
        touched.push_back(cls);
        break;
      }
      case 2: {  // put
        if (!h || held.empty()) break;
        size_t i = (arg * 131u) % held.size();
        if (held[i].left) break;
        Block* b = held[i].b;
        held[i] = held.back();
        held.pop_back();
        count(counts, b, -1);
        touched.push_back(page_of_block(b)->cls);
        heap_page_put(h, const_cast<Page*>(page_of_block(b)), b);
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
        std::set<const Page*> mine;
        for (Held& x : held) {
          if (page_of_block(x.b)->owner.load() == h) mine.insert(page_of_block(x.b));
          x.left = true;
        }
        bool parked = (arg & 1) && heap_park_whole(h);
        if (!parked) heap_sort_pages(h, arg & 2);
        heap_retire(h);
        HM_FUZZ_CHECK(!h->real && h->warm == parked && pooled(h) && !live(h));
        HM_FUZZ_CHECK(abandoned_page_count() == abandoned + (parked ? 0 : mine.size()));
        h = nullptr;
        whole = true;
        break;
      }
      case 5: {  // frees of left blocks, from this thread
        for (size_t k = 0, i = arg; k < 1 + arg % 16 && !held.empty(); ++k, i += 7) {
          size_t j = i % held.size();
          if (!held[j].left) continue;
          touched.push_back(page_of_block(held[j].b)->cls);
          count(counts, held[j].b, -1);
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
        std::set<const Page*> abandoned;
        for (const Held& x : held)
          if (page_of_block(x.b)->owner.load() == nullptr) abandoned.insert(page_of_block(x.b));
        HM_FUZZ_CHECK(abandoned_page_count() == abandoned.size());
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
  while (in.more() && held.size() < 2048) {
    if (!on_helper()) step();
    else helper.run(1, [&](unsigned) {
        while (in.more() && held.size() < 2048 && on_helper()) step();
      });
  }
  check(h, held, counts, true);
  // The input leaves nothing behind: its heap retired, every block freed, all trimmed.
  if (h) helper.run(1, [&](unsigned) { heap_sort_pages(h, false), heap_retire(h); });
  for (const Held& x : held) hm_free(x.b);
  hm_thread_flush();
  tcache_trim();
  HM_FUZZ_CHECK(abandoned_page_count() == 0);
  hm_fuzz::check_invariants("heap");
  return 0;
}
