// Fuzz harness of the tcache box on the fuzzing thread's heap: tcache_pop / tcache_push (with
// the slow free past the bound), tcache_refill of an empty bin (may_borrow either way: a borrowed
// block is the top of the nearest larger non-empty bin), tcache_flush_all, tcache_trim, tcache_get,
// tcache_heap, tcache_process_init (again: changes nothing) and tcache_thread_exit of helper
// threads whose blocks outlive them. Model: each bin as a LIFO stack within its bound, and its
// spare (HAKMEM_TCACHE_SPARE: a full bin is set aside whole, and taken back whole by the refill
// of the empty bin); held blocks carry a fill pattern. The helper is a persistent thread that exits its heap with
// tcache_thread_exit (the pthread-key destructor's call); one helper per input is a real thread
// that exits. After each operation the bins it touched are counted; the bin lists, the held
// blocks' pages and the checkers are walked on the cadence and at the end, with the fills of the
// blocks handed out since the last walk and 16 more in turn (every fill at the end). One input in
// four runs the fuzzing thread's heap on hardened bins (HAKMEM_HARDEN=1; the model follows the
// slow path's bin and its encoded links), where a link written over must be reported by the
// checked pop. The decay pass runs with HAKMEM_BIN_DECAY_MS=0, every 16 counted refills: the
// model then empties the bins it finds as the last pass saw them, as the pass must. The input's
// size also sets the hand-off's research gates (HAKMEM_TRANSFER_DEMOTE 0, 1 or 2, and
// HAKMEM_TRANSFER_PREFETCH 0 or 256): a free of another thread's block that hands a full spare on
// walks the bin that becomes the spare, and at 1 that walk demotes it (spares_demoted counts one;
// at 0 none; at 2 one at most), which the 512-byte class (bin bound 64, with a spare) reaches.
#include <algorithm>
#include <map>
#include <vector>

#include "config/config.h"
#include "fuzz_common.h"
#include "fuzz_crew.h"
#include "hakmem/hakmem.h"
#include "page/page.h"
#include "segment_anchor.h"
#include "sizeclass/inspect.h"
#include "tcache/inspect.h"

using namespace hm;

namespace {
// Runs of neighbours, for borrowing; 8 KiB; 128 KiB; 512 bytes (a class of 64 bytes and up with
// a spare: the hand-off gates' walk).
constexpr unsigned kClasses[] = {0, 1, 2, 63, 64, 65, sizeclass_detail::step_class(8192), kClassCount - 1, 31};
struct Held {
  Block* b;
  unsigned cls;
  uint8_t seed;
  bool fresh = true;  // handed out since the last walk
};
// A block taken from a bin is handed out as the front does; one hm_malloc returned (front:
// true) already is, unpoisoned.
void hand_out(Block* b, unsigned cls, uint8_t seed, bool front = false) {
  if (!front) unpoison_small_block(b);
  b->cookie = 0;
  hm_fuzz::fill(b, class_to_size(cls), seed);
}
// The bins against the model and every held block's page class; the fills of the blocks handed
// out since the last walk and of 16 more in turn (all of them when full: at the end of the
// input; a block's fill is also checked when it is pushed); then the checkers.
using Lists = std::map<unsigned, std::vector<Block*>>;  // back = top
HM_FUZZ_UNTRACED void walk(const Lists& bins, const Lists& spares, std::vector<Held>& held, size_t* turn, bool full) {
  ThreadCache* h = tcache_get();
  HM_FUZZ_CHECK(tcache_heap() == &h->heap && h->heap.real);
  for (auto& [c, s] : bins) {
    const Bin& bin = slow_bin(h, c);  // hardened: the fast lane's bin stays empty
    HM_FUZZ_CHECK(bin.count() == s.size() && s.size() <= bin.bound && (!h->link_key || !h->bins[c].head));
    size_t k = 0;
    for (Block* b = bin.head; b; b = tcache_next(h, b), ++k) HM_FUZZ_CHECK(k < s.size() && b == s[s.size() - 1 - k]);
  }
  for (auto& [c, s] : spares) {
    HM_FUZZ_CHECK(tcache_spare_count(h, c) == s.size() && (s.empty() || s.size() == slow_bin(h, c).bound));
    size_t k = 0;
    for (Block* b = h->spare[c]; b; b = tcache_next(h, b), ++k) HM_FUZZ_CHECK(k < s.size() && b == s[s.size() - 1 - k]);
  }
  size_t from = held.empty() ? 0 : *turn % held.size();
  for (size_t i = 0; i < held.size(); ++i) {
    Held& x = held[i];
    Page* pg = page_of(reinterpret_cast<uintptr_t>(x.b));
    HM_FUZZ_CHECK(pg && pg->cls == x.cls);
    bool due = full || x.fresh || (i + held.size() - from) % held.size() < 16;
    if (due) HM_FUZZ_CHECK(hm_fuzz::check(x.b, class_to_size(x.cls), x.seed));
    x.fresh = false;
  }
  *turn = from + 16;
  hm_fuzz::check_invariants();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  hm_fuzz::anchor_segments(16);
  hm_free(hm_malloc(16));  // this thread's heap is started
  tcache_process_init();   // a later call changes nothing
  // One input in four runs on hardened bins (HAKMEM_HARDEN=1: encoded links checked at every
  // pop, reached from the slow path only), which a heap takes when it starts cold: the thread's
  // heap goes to the pool, the pool is cooled, and the next call starts it again in the mode.
  bool hard = size % 4 == 1;
  if (hard != (tcache_get()->link_key != 0)) {
    tcache_flush_all();
    tcache_thread_exit(tcache_get());
    config_detail::g_config.harden = hard;
    tcache_trim();
    hm_free(hm_malloc(16));
    HM_FUZZ_CHECK((tcache_get()->link_key != 0) == hard);
  }
  tcache_flush_all();
  const long demote = static_cast<long>(size / 4 % 3);
  config_detail::g_config.transfer_demote = demote;
  config_detail::g_config.transfer_prefetch = size / 12 % 2 ? 256 : 0;
  Lists bins, spares;
  // HAKMEM_BIN_DECAY_MS at 0: a pass every 16 counted refills. The refills since the last pass
  // and what it saw of each bin (top, size), from the heap as this input starts (its bins
  // empty); then the model's own.
  config_detail::g_config.bin_decay_ms = 0;
  ThreadCache* h0 = tcache_get();
  uint32_t decay_refills = h0->decay_refills;
  std::vector<Block*> decay_top(h0->decay_head, h0->decay_head + kClassCount);
  std::vector<uint32_t> decay_n(h0->decay_count, h0->decay_count + kClassCount);
  // A counted refill: every bin found as the last pass saw it is emptied (back to its pages).
  auto refill_counted = [&] {
    if (++decay_refills < kDecayRefills) return;
    decay_refills = 0;
    for (unsigned c = 0; c < kClassCount; ++c) {
      auto it = bins.find(c);
      auto sp = spares.find(c);
      size_t n = (it == bins.end() ? 0 : it->second.size()) + (sp == spares.end() ? 0 : sp->second.size());
      Block* top = it != bins.end() && !it->second.empty() ? it->second.back() : nullptr;
      if (n && top == decay_top[c] && n == decay_n[c]) {
        if (it != bins.end()) it->second.clear();
        if (sp != spares.end()) sp->second.clear();
        n = 0, top = nullptr;
      }
      decay_top[c] = top;
      decay_n[c] = static_cast<uint32_t>(n);
    }
  };
  std::vector<Held> held;
  static hm_fuzz::Crew helper(1, true);  // takes turns with this thread
  static hm_fuzz::SpareThread real(size_t{1} << 20);  // one job per input on a thread that exits
  hm_fuzz::Cadence cadence;
  size_t turn = 0;  // the walk's next older blocks
  bool exited = false;  // a real helper thread has exited in this input
  bool helped = false;  // the persistent helper's heap is live: its last job in this input kept it
  bool reported = false;  // the double free has been reported in this input
  const bool may_report = size % 4 == 0;
  while (in.more() && held.size() < 1024) {  // past the default bound (512) of a small class's bin
    uint8_t op = in.u8();
    unsigned cls = kClasses[in.u8() % std::size(kClasses)];
    uint8_t seed = in.u8();
    ThreadCache* h = tcache_get();
    auto& st = bins[cls];
    auto& sp = spares[cls];
    switch (op % 6) {
      case 0: {  // pop
        size_t sz = class_to_size(cls);  // a class in use up to 2 KiB pops through the fast lane's lookup too
        Block* b = sz <= kLaneMax && size_to_class(sz) == cls ? tcache_pop_small(h, sz) : tcache_pop(h, cls);
        if (h->link_key) {  // hardened: the fast lane finds nothing; the slow path pops, checked
          HM_FUZZ_CHECK(b == nullptr);
          if (st.empty()) break;
          b = tcache_refill(&h, cls, false);
        }
        HM_FUZZ_CHECK(st.empty() ? b == nullptr : b == st.back());
        if (b) st.pop_back(), hand_out(b, cls, seed), held.push_back({b, cls, seed});
        break;
      }
      case 1: case 2: {  // push (slow free past the bound)
        if (held.empty()) break;
        size_t i = in.u16() % held.size();
        Held x = held[i];
        held.erase(held.begin() + static_cast<long>(i));
        HM_FUZZ_CHECK(hm_fuzz::check(x.b, class_to_size(x.cls), x.seed));
        x.b->cookie = free_cookie(reinterpret_cast<uintptr_t>(x.b));
        auto& xs = bins[x.cls];
        uint32_t bound = slow_bin(h, x.cls).bound;
        bool room = xs.size() < bound;
        Page* pg = page_of(reinterpret_cast<uintptr_t>(x.b));
        // A full spare handed on for another thread's block: the walk of the bin taking its place.
        bool foreign = pg->owner.load(std::memory_order_relaxed) != &h->heap;
        bool walks = !room && h->has_spare[x.cls] && !spares[x.cls].empty() && foreign && !h->link_key &&
                     class_to_size(x.cls) >= kTransferHintMinSize;
        uint64_t demoted = h->heap.counters.spares_demoted;
        bool pushed = tcache_push(h, pg, x.b);
        HM_FUZZ_CHECK(pushed == (room && !h->link_key));  // hardened: always the slow path
        if (!pushed) {
          tcache_free_slow(pg, x.b);
          if (!room && h->has_spare[x.cls]) spares[x.cls] = xs, xs.clear();  // a full spare handed on
          else if (!room) xs.erase(xs.begin(), xs.end() - bound / 2);
        }
        uint64_t got = h->heap.counters.spares_demoted - demoted;
        HM_FUZZ_CHECK(demote == 2 ? got <= walks : got == (walks && demote == 1));
        xs.push_back(x.b);
        break;
      }
      case 3: {  // refill of an empty bin, as malloc asks it or as realloc does (may borrow)
        if (!st.empty()) break;
        bool may_borrow = op & 32;
        if (!sp.empty()) {  // the spare becomes the bin, its top handed out; not a counted refill
          Block* b = tcache_refill(&h, cls, may_borrow);
          HM_FUZZ_CHECK(b == sp.back() && h->spare[cls] == nullptr);
          sp.pop_back();
          st = sp;
          sp.clear();
          hand_out(b, cls, seed);
          held.push_back({b, cls, seed});
          break;
        }
        refill_counted();
        Block* b = tcache_refill(&h, cls, may_borrow);
        HM_FUZZ_CHECK(b != nullptr && h == tcache_get());
        HM_FUZZ_CHECK(b->cookie == free_cookie(reinterpret_cast<uintptr_t>(b)));
        unsigned got = page_of(reinterpret_cast<uintptr_t>(b))->cls;
        if (got != cls) {  // borrowed: the top of the first non-empty bin of the next larger classes
          HM_FUZZ_CHECK(may_borrow && !h->link_key);
          unsigned c = cls;
          for (long k = config().borrow; k > 0 && class_to_size(c) < kMaxSmall; --k) {
            c = size_to_class(class_to_size(c) + 1);
            if (!bins[c].empty()) break;
          }
          HM_FUZZ_CHECK(c == got && !bins[c].empty() && bins[c].back() == b);
          bins[c].pop_back();
          hand_out(b, got, seed);
          held.push_back({b, got, seed});
          break;
        }
        HM_FUZZ_CHECK(slow_bin(h, cls).count() <= slow_bin(h, cls).bound / 2);
        hand_out(b, cls, seed);
        held.push_back({b, cls, seed});
        if (h->link_key) {  // the hardened bin's blocks, each popped and checked by the slow path
          while (slow_bin(h, cls).head) {
            Block* x = tcache_refill(&h, cls, false);
            HM_FUZZ_CHECK(x != nullptr);
            hand_out(x, cls, ++seed), held.push_back({x, cls, seed});
          }
        }
        while (Block* x = tcache_pop(h, cls)) hand_out(x, cls, ++seed), held.push_back({x, cls, seed});
        break;
      }
      case 4:
        if ((op & 128) && h->link_key && !reported && !st.empty()) {
          // Hardened: the top block's link written over (a write after free of its first
          // word, far from any block): the checked pop reports it before it hands anything
          // out; then the link is restored. Once per input.
          reported = true;
          Block* top = slow_bin(h, cls).head;
          Block* link = top->next;
          top->next = reinterpret_cast<Block*>(reinterpret_cast<uintptr_t>(link) ^ (uintptr_t{1} << 40));
          hm_fuzz::expect_report([&] { tcache_refill(&h, cls, false); }, {"corrupted free-list link"});
          top->next = link;
          break;
        }
        if ((op & 128) && may_report && !reported && !h->link_key && !held.empty() && h->bins[held.back().cls].room >= 2) {
          // The newest held block freed twice into its bin: the exit scan reports the repeat;
          // then the bin is as it was and the block held again. Once per input, in one input
          // of four (a report, its backtrace symbolised, costs a sixth of an input).
          reported = true;
          Held x = held.back();
          Bin saved = h->bins[x.cls];
          HM_FUZZ_CHECK(hm_fuzz::check(x.b, class_to_size(x.cls), x.seed));
          x.b->cookie = free_cookie(reinterpret_cast<uintptr_t>(x.b));
          Page* pg = page_of(reinterpret_cast<uintptr_t>(x.b));
          HM_FUZZ_CHECK(tcache_push(h, pg, x.b) && tcache_push(h, pg, x.b));
          hm_fuzz::expect_report([] { tcache_exit_scan(); }, {"double free or write after free"});
          h->bins[x.cls] = saved;
          hand_out(x.b, x.cls, x.seed);
          break;
        }
        if (op & 32) tcache_exit_scan();  // on clean bins, pool and batches: never a report
        if (op & 64) tcache_trim();  // also cools the heaps the helper threads left in the pool
        else tcache_flush_all();
        bins.clear(), spares.clear();
        break;
      default: {  // a helper thread allocates, exits, and hands its blocks over
        // Up to 32 blocks; up to 4 of the classes past the fast lane (8 and 128 KiB), whose
        // blocks cost their size under ASan (poisoned and unpoisoned whole) and whose jobs
        // would otherwise take a fresh segment every few inputs.
        unsigned n = 1 + in.u8() % (class_to_size(cls) > kLaneMax ? 4 : 32);
        bool direct = op & 16;
        std::vector<Block*> got(n);
        auto job = [&](unsigned) {
          for (auto& b : got) b = static_cast<Block*>(hm_malloc(class_to_size(cls)));
          if (direct) tcache_thread_exit(tcache_get());
        };
        if (!direct && !exited) real.run(job), exited = true;
        else helper.run(1, job), helped = !direct;
        for (Block* b : got) {
          HM_FUZZ_CHECK(b != nullptr);
          hand_out(b, cls, seed, true);
          held.push_back({b, cls, seed});
        }
        break;
      }
    }
    h = tcache_get();
    HM_FUZZ_CHECK(slow_bin(h, cls).count() == bins[cls].size() && tcache_spare_count(h, cls) == spares[cls].size());
    if (!held.empty()) {  // the newest held block
      const Held& x = held.back();
      HM_FUZZ_CHECK(page_of(reinterpret_cast<uintptr_t>(x.b))->cls == x.cls);
    }
    if (cadence.due()) walk(bins, spares, held, &turn, false);
  }
  walk(bins, spares, held, &turn, true);
  for (const Held& x : held) hm_free(x.b);
  tcache_flush_all();
  // Its heap back to the pool (after a direct job it is there already: no hand-off).
  if (helped) helper.run(1, [](unsigned) { tcache_thread_exit(tcache_get()); });
  return 0;
}
