// Fuzz harness of the heap box on a helper thread's heap, with nothing of the tcache box on that
// thread: heap_start, heap_page_with_free (blocks then taken with page_take), heap_page_put,
// heap_release_empty, the exit (heap_park_whole or heap_sort_pages, then heap_retire), frees of
// the blocks an exited heap left live (from this thread, to the pages' remote queues), and the
// trim (heap_pool_cool, heap_trim_abandoned); heap_for_each, heap_pool_for_each,
// heap_counters_total and abandoned_page_count are read to check each step, heap_process_init is
// called again (a later call changes nothing). Model: the blocks handed out, per page; after each
// operation every page of the live heap holds exactly the model's blocks (used minus the remote
// queue's count) and each left block's page belongs to the live heap, a pooled one or no one.
#include <map>
#include <set>
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
const Page* page_of_block(const Block* b) { return page_of(reinterpret_cast<uintptr_t>(b)); }

bool pooled(const Heap* h) {
  struct Find {
    const Heap* h;
    bool found = false;
  } f{h};
  heap_pool_for_each([](Heap* x, void* arg) { auto* f = static_cast<Find*>(arg); f->found = f->found || x == f->h; }, &f);
  return f.found;
}
bool live(const Heap* h) {
  struct Find {
    const Heap* h;
    bool found = false;
  } f{h};
  heap_for_each([](Heap* x, void* arg) { auto* f = static_cast<Find*>(arg); f->found = f->found || x == f->h; }, &f);
  return f.found;
}

void check(const Heap* h, const std::vector<Held>& held, bool walk) {
  std::map<const Page*, uint64_t> on_page;
  for (const Held& x : held) on_page[page_of_block(x.b)]++;
  if (h) {
    HM_FUZZ_CHECK(h->real && live(h));
    for (unsigned c = 0; c < kClassCount; ++c)
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
  for (const Held& x : held) {
    const Heap* owner = page_of_block(x.b)->owner.load();
    if (!x.left) HM_FUZZ_CHECK(owner == h);
    else HM_FUZZ_CHECK(owner == nullptr || owner == h || pooled(owner));
  }
  if (walk) hm_fuzz::check_invariants("heap");
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
  HeapCounters last = heap_counters_total();
  while (in.more() && held.size() < 2048) {
    uint8_t op = in.u8();
    unsigned cls = kClasses[in.u8() % std::size(kClasses)];
    uint8_t arg = in.u8();
    switch (op % 7) {
      case 0:  // start
        if (h) break;
        helper.run(1, [&](unsigned) {
          bool warm;
          h = heap_start(&warm);
        });
        HM_FUZZ_CHECK(h && !pooled(h));
        break;
      case 1: {  // take
        if (!h) break;
        std::vector<Block*> got;
        helper.run(1, [&](unsigned) {
          Page* pg = heap_page_with_free(h, cls);
          if (!pg || h->avail[cls].head != pg) return;
          Block *first, *last;
          unsigned k = page_take(pg, 1 + arg % 80, &first, &last);
          last->next = nullptr;
          for (Block* b = first; k--; b = b->next) got.push_back(b);
        });
        HM_FUZZ_CHECK(!got.empty());
        for (Block* b : got) b->cookie = 0, held.push_back({b, false});
        break;
      }
      case 2: {  // put
        if (!h || held.empty()) break;
        size_t i = (arg * 131u) % held.size();
        if (held[i].left) break;
        Block* b = held[i].b;
        held[i] = held.back();
        held.pop_back();
        helper.run(1, [&](unsigned) { heap_page_put(h, const_cast<Page*>(page_of_block(b)), b); });
        break;
      }
      case 3:  // release
        if (!h) break;
        helper.run(1, [&](unsigned) { heap_release_empty(h, cls); });
        for (const Page* pg = h->avail[cls].head; pg; pg = heap_page_next(pg)) HM_FUZZ_CHECK(pg->used > 0);
        break;
      case 4: {  // exit
        if (!h) break;
        uint64_t abandoned = abandoned_page_count();
        std::set<const Page*> mine;
        for (Held& x : held) {
          if (page_of_block(x.b)->owner.load() == h) mine.insert(page_of_block(x.b));
          x.left = true;
        }
        bool parked = false;
        helper.run(1, [&](unsigned) {
          parked = (arg & 1) && heap_park_whole(h);
          if (!parked) heap_sort_pages(h, arg & 2);
          heap_retire(h);
        });
        HM_FUZZ_CHECK(!h->real && h->warm == parked && pooled(h) && !live(h));
        HM_FUZZ_CHECK(abandoned_page_count() == abandoned + (parked ? 0 : mine.size()));
        h = nullptr;
        break;
      }
      case 5: {  // frees of left blocks, from this thread
        for (size_t k = 0, i = arg; k < 1 + arg % 16 && !held.empty(); ++k, i += 7) {
          size_t j = i % held.size();
          if (!held[j].left) continue;
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
        break;
      }
    }
    HeapCounters t = heap_counters_total();
    HM_FUZZ_CHECK(t.pages_new >= last.pages_new && t.pages_freed >= last.pages_freed &&
                  t.pages_abandoned >= last.pages_abandoned && t.pages_adopted >= last.pages_adopted);
    last = t;
    check(h, held, cadence.due());
  }
  // The input leaves nothing behind: its heap retired, every block freed, all trimmed.
  if (h) helper.run(1, [&](unsigned) { heap_sort_pages(h, false), heap_retire(h); });
  for (const Held& x : held) hm_free(x.b);
  hm_thread_flush();
  tcache_trim();
  HM_FUZZ_CHECK(abandoned_page_count() == 0);
  hm_fuzz::check_invariants("heap");
  return 0;
}
