// tcache box: bins -- refill, flush, hardened bins, borrow, ramp -- and the thread-exit, trim
// and exit-scan entry points that empty the bins before the heap box takes the pages.
#include "tcache/tcache.h"

#include <sched.h>

#include <cstring>
#include <type_traits>

#include "config/config.h"
#include "os/os.h"
#include "registry/registry.h"
#include "remote/remote.h"
#include "report/report.h"
#include "tcache/inspect.h"
#include "transfer/transfer.h"

namespace hm {
namespace tcache_detail {
constinit ThreadCache g_empty_cache{};  // all bins empty, bound 0: every call takes the slow path
__thread ThreadCache* tl_cache HM_TLS = &g_empty_cache;
}  // namespace tcache_detail

using tcache_detail::g_empty_cache;
using tcache_detail::tl_cache;

namespace {

Block* pop_hardened(ThreadCache* t, unsigned cls);
void flush_bin(ThreadCache* t, unsigned c);

uintptr_t harden_key() {
  uintptr_t k = free_cookie(0x5bd1e995u) * 0x9e3779b97f4a7c15ull;
  return k ? k : 1;
}

// A class's bound: HAKMEM_TCACHE_MAX blocks, and no more than HAKMEM_TCACHE_KB of them but at
// least kMinBinBound, so small classes keep many blocks and large ones no more than they always
// had; 0 with HAKMEM_TCACHE=0.
constexpr uint32_t kMinBinBound = 64;
uint32_t class_bound(unsigned cls) {
  if (!config().tcache) return 0;
  auto bound = static_cast<uint32_t>(config().tcache_max);
  if (config().tcache_kb == 0) return bound;
  size_t by_bytes = (static_cast<size_t>(config().tcache_kb) << 10) / class_to_size(cls);
  uint32_t cap = by_bytes < kMinBinBound ? kMinBinBound : by_bytes > bound ? bound : static_cast<uint32_t>(by_bytes);
  return cap < bound ? cap : bound;
}

// The calling thread's cache: its heap from the heap box (the pool's or a fresh record), and
// the bins set up unless the heap waited warm with them.
ThreadCache* tcache_start() {
  bool warm = false;
  Heap* h = heap_start(&warm);
  if (!h) return nullptr;
  ThreadCache* t = tcache_of(h);
  if (!warm) {  // bins, keys and ramp as a fresh record has them, then the bounds
    static_assert(std::is_trivially_copyable_v<ThreadCache>);
    std::memset(static_cast<void*>(t), 0, offsetof(ThreadCache, heap));
    t->cookie_key = free_cookie(uintptr_t{0});  // the process secret (a free cookie is address ^ secret)
    t->link_key = config().harden ? harden_key() : 0;
    Bin* bins = t->link_key ? t->hbins : t->bins;
    for (unsigned c = 0; c < kClassCount; ++c) {
      uint32_t bound = class_bound(c);
      t->has_spare[c] = config().tcache_spare && bound >= kSpareMinBound;
      bins[c].bound = bins[c].room = t->has_spare[c] ? (bound + 1) / 2 : bound;
    }
  }
  for (unsigned i = 0; i < kLaneSlots; ++i)  // slot (n-1)/16 -> the bin of size_to_class(n)
    t->small_bin[i] = static_cast<uint16_t>(tcache_bin_off(size_to_class((i + 1) * 16)));
  tl_cache = t;
  return t;
}

// The one writer of a page's bin_off: the offset of its class's bin, which tcache_push adds to
// the cache's address. Every page is some refill's page before any of its blocks is handed out.
HM_FAST_PATH void bind_page(Page* pg, unsigned cls) {
  uint32_t off = tcache_bin_off(cls);
  if (HM_UNLIKELY(pg->bin_off != off)) pg->bin_off = off;
}

// Whether b, an address in pg's span, is a carved block of pg carrying its free cookie.
HM_FAST_PATH bool free_block_of(const Page* pg, const Block* b) {
  uintptr_t u = reinterpret_cast<uintptr_t>(b);
  return page_is_block(pg, u) && b->cookie == free_cookie(u);
}

// A block of a bin or batch about to be trusted (its link read, or handed to a page): a block
// of a small page carrying its free cookie, else a report.
HM_FAST_PATH Page* checked_free_block(const Block* b) {
  Page* pg = page_of(reinterpret_cast<uintptr_t>(b));
  if (HM_UNLIKELY(!pg || !free_block_of(pg, b))) page_stale_block(b);
  return pg;
}

// A kept bin block whose link is about to be followed: its free cookie, else a report (a block
// freed twice or written after free).
HM_FAST_PATH void bin_cookie_check(const ThreadCache* t, const Block* b) {
  if (HM_UNLIKELY(b->cookie != (reinterpret_cast<uintptr_t>(b) ^ t->cookie_key))) page_stale_block(b);
}

// The one local→remote step: a run of blocks of page pg (first..last, n blocks linked through
// next, each with its page cookie) goes straight back to the page when cache t's heap (t
// nullptr: the thread has none) owns it, else through the remote box in one push.
void return_run(ThreadCache* t, Page* pg, Block* first, Block* last, unsigned n) {
  if (t && pg->owner.load(std::memory_order_relaxed) == &t->heap) return heap_page_put_chain(&t->heap, pg, first, last, n);
  remote_push(pg, first, last, n);
  if (t) {
    t->heap.counters.remote_pushes++;
    t->heap.counters.remote_flushed += n;
  }
}

void return_block(ThreadCache* t, Page* pg, Block* b) {
  b->cookie = page_cookie(reinterpret_cast<uintptr_t>(b));
  return_run(t, pg, b, b, 1);
}

// Returns the chain b.. (n blocks) to their pages: locally for the pages this heap owns, else
// by the remote box. Each block is checked and gets its page cookie, so a block that is twice
// in the chain is caught on its second visit instead of being counted twice. Consecutive
// blocks of one page (a bin flushed after a burst of frees holds long runs of them) go back
// as one run: the page is looked up, and its free list, count and queue updated, once a run.
void return_chain(ThreadCache* t, Block* b, unsigned n) {
  t->heap.counters.blocks_flushed += n;
  while (n) {
    Page* pg = checked_free_block(b);
    uintptr_t start = reinterpret_cast<uintptr_t>(pg->start);
    uintptr_t span = uintptr_t{pg->capacity} * pg->block_size;
    Block* first = b;
    Block* last = b;
    unsigned k = 1;
    Block* next = tcache_next(t, b);
    b->cookie = page_cookie(reinterpret_cast<uintptr_t>(b));
    // The run goes on while the next block lies in pg's span and passes the same check.
    while (k < n && next) {
      uintptr_t u = reinterpret_cast<uintptr_t>(next);
      if (u - start >= span || !free_block_of(pg, next)) break;
      Block* after = tcache_next(t, next);
      next->cookie = page_cookie(u);
      last->next = next;  // a plain page link (the bin's may be encoded)
      last = next;
      next = after;
      ++k;
    }
    return_run(t, pg, first, last, k);
    n -= k;
    b = next;
  }
}

// Blocks a full bin gives up (n of class cls, a chain ending after the n-th): one batch for the
// transfer box when it has room (plain links only), else back to their pages.
void hand_on(ThreadCache* t, unsigned cls, Block* chain, unsigned n, Block* const* named = nullptr,
             uint32_t named_n = 0, uint16_t demoted_on = 0) {
  t->heap.counters.flushes++;
  if (t->link_key == 0 && transfer_put(cls, chain, n, named, named_n, demoted_on)) t->heap.counters.transfer_puts++;
  else return_chain(t, chain, n);
}

// The k-th block (k >= 1) of a bin's list from b, each of the k checked for its free cookie,
// before its link is followed as the fast pop does (plain links in a loop of their own: this
// walk is most of a flush's cost).
Block* bin_walk(const ThreadCache* t, Block* b, unsigned k) {
  if (t->link_key == 0) {
    for (unsigned i = 1; i < k; ++i) {
      bin_cookie_check(t, b);
      b = b->next;
    }
  } else {
    for (unsigned i = 1; i < k; ++i) {
      bin_cookie_check(t, b);
      b = tcache_next(t, b);
    }
  }
  bin_cookie_check(t, b);
  return b;
}

// The CPU the calling thread runs on, plus one (0: unknown), as cpu_seen and the batches' marks
// keep it.
uint32_t cpu_plus_one() {
  int cpu = sched_getcpu();
  return cpu >= 0 ? static_cast<uint32_t>(cpu) + 1 : 0;
}

// HAKMEM_TRANSFER_DEMOTE: whether a consumer's swap walk demotes the lines of the bin a block of
// page pg overflowed: always at 1; at 2 and 3 only when pg's owner last refilled on another CPU
// than this thread runs on now, so a producer that takes turns with its consumer on one CPU (an
// interpreter's threads under its lock, a producer pinned beside the consumer) keeps them close.
// 0: no; else, at 2 and 3, this thread's CPU plus one (at 1: ~0u, the CPU not asked).
uint32_t demote_for(const Page* pg) {
  long gate = config().transfer_demote;
  if (gate < 2) return gate ? ~0u : 0;
  const Heap* owner = pg->owner.load(std::memory_order_relaxed);
  if (!owner) return 0;
  uint32_t seen = tcache_of(owner)->cpu_seen.load(std::memory_order_relaxed);
  uint32_t here = cpu_plus_one();
  return seen != 0 && here != 0 && seen != here ? here : 0;
}

// HAKMEM_TRANSFER_PREFETCH: the walk of a consumer's swap over the bin that becomes the spare
// (bin_walk's checks), naming its first blocks as it passes them, so the spare goes on named
// without a second walk over lines that may have left this core's cache by then; with
// HAKMEM_TRANSFER_DEMOTE (demote: demote_for's answer) it demotes each block's line as it leaves
// it, and at 3 marks the spare with the CPU it left. True when it named them; else the bin is
// walked as bin_walk does.
bool walk_naming(ThreadCache* t, Block* b, unsigned k, unsigned cls, uint32_t demote) {
  uint32_t want = static_cast<uint32_t>(config().transfer_prefetch);
  if ((want == 0 && !demote) || t->link_key != 0 || class_to_size(cls) < kTransferHintMinSize) {
    bin_walk(t, b, k);
    return false;
  }
  if (want > kTransferHints) want = kTransferHints;
  uint32_t named = 0;
  for (unsigned i = 1; i < k; ++i) {
    bin_cookie_check(t, b);
    if (named < want) t->spare_hint[named++] = b;
    Block* next = b->next;
    if (demote) HM_DEMOTE(b);
    b = next;
  }
  bin_cookie_check(t, b);
  if (named < want) t->spare_hint[named++] = b;
  if (demote) {
    HM_DEMOTE(b);
    t->heap.counters.spares_demoted++;
    if (config().transfer_demote == 3) t->spare_demoted_on[cls] = static_cast<uint16_t>(demote);
  }
  if (want == 0) return false;
  t->spare_named = named;
  t->spare_named_cls = cls + 1;
  return true;
}

// A full bin keeps its most recent half and hands the older half on; the blocks handed on are
// checked in full by whoever takes them.
void hand_on_older_half(ThreadCache* t, Bin& bin, unsigned cls) {
  unsigned keep = bin.bound / 2;
  Block* cut = keep ? bin_walk(t, bin.head, keep) : nullptr;
  Block* old = cut ? tcache_next(t, cut) : bin.head;
  unsigned n = bin.count() - keep;
  if (cut) tcache_set_next(t, cut, nullptr);
  else bin.head = nullptr;
  bin.set_count(keep);
  hand_on(t, cls, old, n);
}

// HAKMEM_TCACHE_SPARE: an empty bin takes its spare whole, and its first block goes to the
// caller (a block without its cookie is reported, as at any pop).
Block* take_spare(ThreadCache* t, unsigned cls) {
  Bin& bin = slow_bin(t, cls);
  bin.head = t->spare[cls];
  bin.room = 0;
  t->spare[cls] = nullptr;
  t->heap.counters.spare_swaps++;
  if (t->link_key) return pop_hardened(t, cls);
  if (Block* b = tcache_pop(t, cls)) return b;
  checked_free_block(bin.head);
  return tcache_pop(t, cls);
}

// kBinBoundMax is the top of HAKMEM_TCACHE_MAX's range in the gate registry.
static_assert([] {
  for (const auto& g : registry::kGates)
    if (g.env == "HAKMEM_TCACHE_MAX") return g.max == long{kBinBoundMax};
  return false;
}());

// HAKMEM_BIN_GROW (tcache.h, kGrowOverflows): an overflow of class cls's bin, set off by one
// of the thread's own blocks or by another thread's (foreign).
void bin_overflowed(ThreadCache* t, unsigned cls, bool foreign) {
  uint8_t& seen = t->overflows[cls];
  if (foreign) seen |= kForeignOverflow;
  else if ((seen & (kGrowDue - 1)) < kGrowOverflows) seen++;
}

// The same, at every refill of class cls: a long enough run of own overflows makes a growth due;
// the run starts again.
void bin_refilled(ThreadCache* t, unsigned cls) {
  uint8_t seen = t->overflows[cls];
  if ((seen & (kGrowDue - 1)) >= kGrowOverflows) seen |= kGrowDue;
  t->overflows[cls] = seen & (kGrowDue | kForeignOverflow);
}

// The bin of class cls (empty, its spare too) back at the bound it started with.
void ungrow_bin(ThreadCache* t, Bin& bin, unsigned cls) {
  bin.bound >>= t->grown[cls];
  bin.room = bin.bound;
  t->grown[cls] = 0;
}

// The same, at a refill from beyond the thread (the bin and its spare empty): a growth due
// doubles the bin's bound, a foreign overflow since the last such refill (a consumer's bin) puts
// it back.
void resize_bin(ThreadCache* t, Bin& bin, unsigned cls) {
  uint8_t seen = t->overflows[cls];
  t->overflows[cls] = 0;
  if (seen & kForeignOverflow) {
    ungrow_bin(t, bin, cls);
  } else if ((seen & kGrowDue) && t->grown[cls] < config().bin_grow && bin.bound <= kBinBoundMax / 2) {
    bin.bound *= 2;
    bin.room = bin.bound;
    t->grown[cls]++;
    t->heap.counters.bins_grown++;
  }
}

// A batch another thread's bin gave up, when the transfer box holds one: the first block
// for the caller, the rest into the (empty) bin. Plain links only: hardened bins do not
// take part.
Block* take_batch(ThreadCache* t, unsigned cls) {
  Bin& bin = t->bins[cls];
  if (t->link_key || bin.head || bin.bound == 0 || config().transfer_kb == 0) return nullptr;
  Block* head;
  // The first block is the caller's. HAKMEM_TRANSFER_DEMOTE=3: the box chooses by this CPU.
  uint32_t cpu = config().transfer_demote == 3 ? t->cpu_seen.load(std::memory_order_relaxed) : 0;
  uint32_t n = transfer_take(cls, &head, bin.bound + 1, cpu);
  if (!n) return nullptr;
  t->heap.counters.transfer_takes++;
  checked_free_block(head);
  bin.head = head->next;
  bin.set_count(n - 1);
  return head;
}

// HAKMEM_TRANSFER_RECLAIM, before heap h (the calling thread's) maps a new page of class cls:
// the batches of h's own blocks of every other class that no thread took from since the last
// look go back to their pages, whose spans, once empty, serve the new page instead of fresh memory.
void reclaim_idle(Heap* h, unsigned cls) {
  if (transfer_bytes() == 0) return;
  ThreadCache* t = tcache_of(h);
  for (unsigned c = 0; c < kClassCount; ++c) {
    if (c == cls) continue;
    Block* batch;
    while (uint32_t n = transfer_take_idle(c, h, &batch)) {
      t->heap.counters.transfer_reclaimed += n;
      return_chain(t, batch, n);
    }
  }
}

// HAKMEM_BORROW: a free block of one of the next few larger classes in use, from this
// thread's bins, instead of carving memory never touched (plain bins only).
Block* borrow(ThreadCache* t, unsigned cls) {
  if (t->link_key) return nullptr;
  for (long k = config().borrow; k > 0; --k) {
    size_t size = class_to_size(cls) + 1;
    if (size > kMaxSmall) return nullptr;
    cls = size_to_class(size);
    if (Block* b = tcache_pop(t, cls)) return b;
  }
  return nullptr;
}

// HAKMEM_BIN_DECAY_MS: every kDecayRefills refills the thread looks at the clock, and once the
// delay has passed since its last pass, a bin with blocks whose head and count are what that
// pass saw was not used since (a pop and a push of the same block would look alike, and cost
// one refill). Its blocks go back to their pages, not to the transfer box (no thread asked for
// them), and its class's empty pages, the current one included, to the segment.
void decay_pass(ThreadCache* t) {
  t->decay_refills = 0;
  uint64_t now = os_now_ms();
  if (now - t->decay_ms < static_cast<uint64_t>(config().bin_decay_ms)) return;
  t->decay_ms = now;
  for (unsigned c = 0; c < kClassCount; ++c) {
    Bin& bin = slow_bin(t, c);
    uint32_t n = bin.count() + tcache_spare_count(t, c);
    if (n && bin.head == t->decay_head[c] && n == t->decay_count[c]) {
      flush_bin(t, c);
      heap_release_empty(&t->heap, c);
      t->heap.counters.bins_decayed++;
      n = 0;
    }
    t->decay_head[c] = bin.head;
    t->decay_count[c] = n;
  }
}

}  // namespace

Block* tcache_refill(ThreadCache** tp, unsigned cls, bool may_borrow) {
  ThreadCache* t = *tp;
  if (HM_UNLIKELY(!t->heap.real)) {
    t = tcache_start();
    if (!t) return nullptr;
    *tp = t;
  }
  if (t->overflows[cls]) bin_refilled(t, cls);
  if (t->link_key) {
    if (Block* b = pop_hardened(t, cls)) return b;
  } else if (Block* head = t->bins[cls].head) {  // the pop failed on a block without its cookie
    checked_free_block(head);
    return tcache_pop(t, cls);  // a caller that had not popped first
  }
  if (t->spare[cls]) return take_spare(t, cls);
  t->heap.counters.refills++;
  HM_CHECK_HOOK(refill, &t->heap, cls);
  if (config().transfer_demote >= 2) t->cpu_seen.store(cpu_plus_one(), std::memory_order_relaxed);
  if (config().bin_decay_ms >= 0 && ++t->decay_refills >= kDecayRefills) decay_pass(t);
  if (t->overflows[cls]) resize_bin(t, slow_bin(t, cls), cls);  // the bin is empty here, its spare too
  if (Block* b = take_batch(t, cls)) return b;
  Page* pg = heap_page_with_free(&t->heap, cls, config().transfer_reclaim && !t->link_key ? reclaim_idle : nullptr);
  if (!pg) return nullptr;
  bind_page(pg, cls);
  if (may_borrow && !pg->free) {  // page_take would carve
    if (Block* b = borrow(t, cls)) return b;
  }
  Bin& bin = slow_bin(t, cls);
  Block *first, *last;
  unsigned want = bin.bound / 2 + 1;
  if (config().refill_ramp && (4u << t->ramp_step[cls]) < want) want = 4u << t->ramp_step[cls]++;
  // HAKMEM_CARVE_KB: fresh blocks touch memory, so a refill carves at most that much (at
  // least one block).
  // HAKMEM_CARVE_RAMP: doubled for every kCarveCuts earlier refills of the class it cut short.
  unsigned fresh = ~0u;
  if (uint32_t carve = static_cast<uint32_t>(config().carve_kb) << 10)
    fresh = (carve > pg->block_size ? carve / pg->block_size : 1) << t->carve_step[cls];
  uint32_t carved = pg->carved.load(std::memory_order_relaxed);
  unsigned k = page_take(pg, want, &first, &last, fresh);
  if (k < want && t->carve_step[cls] < config().carve_ramp && pg->carved.load(std::memory_order_relaxed) - carved == fresh &&
      ++t->carve_cuts[cls] == kCarveCuts) {
    t->carve_cuts[cls] = 0;
    t->carve_step[cls]++;
  }
  if (k > 1) {  // the first block goes to the caller, the rest into the bin
    last->next = bin.head;
    bin.head = first->next;
    bin.room -= k - 1;
    if (t->link_key) {  // page links are plain; bin links are encoded
      for (Block* b = bin.head; b != last;) {
        Block* next = b->next;
        tcache_set_next(t, b, next);
        b = next;
      }
      tcache_set_next(t, last, last->next);
    }
  }
  return first;
}

void tcache_free_slow(Page* pg, Block* b) {
  ThreadCache* t = tl_cache;
  if (HM_UNLIKELY(!t->heap.real)) {
    t = tcache_start();
    if (!t) return return_block(nullptr, pg, b);  // no heap: the block goes straight back
  }
  HM_CHECK_HOOK(free_slow, b, pg->cls);
  Bin& bin = slow_bin(t, pg->cls);
  if (bin.bound == 0) {
    return_chain(t, b, 1);
    return;
  }
  if (bin.room == 0 && t->has_spare[pg->cls]) {
    bool foreign = pg->owner.load(std::memory_order_relaxed) != &t->heap;
    bin_overflowed(t, pg->cls, foreign);
    // The full bin becomes the spare, a full spare before it going on (the blocks handed on are
    // checked in full by whoever takes them). A thread freeing its own blocks walks nothing. When
    // a full spare goes on because of another thread's block (a consumer's), the bin taking its
    // place has every block's cookie checked first, as the walk to a spare-less bin's middle
    // checks the half it keeps: the same work at the same moments, so a consumer keeps its pace
    // (one that skipped it lost up to a fifth of xfer's throughput, bench/README.md).
    unsigned cls = pg->cls;
    bool named = false;
    uint16_t demoted_on = t->spare_demoted_on[cls];  // the spare's, set when it was made
    t->spare_demoted_on[cls] = 0;
    if (Block* full = t->spare[cls]) {
      t->spare[cls] = nullptr;  // out of the cache before its blocks reach their pages
      bool known = t->spare_named_cls == cls + 1;
      hand_on(t, cls, full, bin.bound, known ? t->spare_hint : nullptr, known ? t->spare_named : 0, demoted_on);
      if (foreign) named = walk_naming(t, bin.head, bin.bound, cls, demote_for(pg));
    }
    // A spare is made only here, so its names are set or dropped here: a spare taken or flushed
    // since is never handed on before the next one is made.
    if (!named && t->spare_named_cls == cls + 1) t->spare_named_cls = 0;
    t->spare[cls] = bin.head;
    t->heap.counters.spare_swaps++;
    bin.head = nullptr;
    bin.room = bin.bound;
  } else if (bin.room == 0) {
    hand_on_older_half(t, bin, pg->cls);
  }
  tcache_set_next(t, b, bin.head);
  bin.head = b;
  bin.room--;
}

namespace {

// Hardened pop: checks the popped block's cookie and the decoded link, reporting a
// write after free (corrupted free-list link) instead of handing out a wild pointer.
Block* pop_hardened(ThreadCache* t, unsigned cls) {
  Bin& bin = t->hbins[cls];
  Block* b = bin.head;
  if (!b) return nullptr;
  uintptr_t u = reinterpret_cast<uintptr_t>(b);
  Block* next = tcache_next(t, b);
  bool ok = b->cookie == free_cookie(u);
  if (ok && next) {
    Page* pg = page_of(reinterpret_cast<uintptr_t>(next));
    ok = pg && pg->cls == cls && page_block_index(pg, reinterpret_cast<uintptr_t>(next)) >= 0;
  }
  if (HM_UNLIKELY(!ok)) {
    report::Site site;
    site.addr = b;
    site.size_class = static_cast<int>(cls);
    site.expected = "intact free cookie and a link to a free block of the same class";
    site.found = "overwritten (write after free?)";
    report::report_misuse(registry::ErrorId::corrupt_link, site);
  }
  bin.head = next;
  bin.room++;
  return b;
}

// Empties the bins of class c, and its spare, back to the pages; a grown bound (HAKMEM_BIN_GROW)
// and a doubled carve limit (HAKMEM_CARVE_RAMP) go back.
void flush_bin(ThreadCache* t, unsigned c) {
  Bin& bin = slow_bin(t, c);
  Block* list = bin.head;
  unsigned n = bin.count();
  bin.head = nullptr;
  if (n) return_chain(t, list, n);
  if (Block* spare = t->spare[c]) {
    t->spare[c] = nullptr;
    return_chain(t, spare, bin.bound);
  }
  ungrow_bin(t, bin, c);
  t->overflows[c] = 0;
  t->carve_step[c] = 0;
  t->carve_cuts[c] = 0;
}

void flush_bins(ThreadCache* t) {
  for (unsigned c = 0; c < kClassCount; ++c) flush_bin(t, c);
}

// The block where a list that should end after n blocks starts to repeat itself (a block freed
// twice into one bin links back to itself or to a block pushed after it), or the block past the
// n-th when the list does not cycle.
const Block* repeated_block(const ThreadCache* t, const Block* head, uint32_t n) {
  const Block* slow = head;
  const Block* fast = head;
  while (fast && tcache_next(t, fast)) {
    slow = tcache_next(t, slow);
    fast = tcache_next(t, tcache_next(t, fast));
    if (slow == fast) {  // a cycle: its entry is the first block reached twice
      for (slow = head; slow != fast; slow = tcache_next(t, slow), fast = tcache_next(t, fast)) {}
      return slow;
    }
  }
  const Block* b = head;
  for (uint32_t i = 0; i < n && b; ++i) b = tcache_next(t, b);
  return b;
}

// HAKMEM_EXIT_SCAN: a chain of n free blocks (a bin, a batch) is walked as its next taker would
// walk it: each block a carved block of its page with its free cookie, and nothing after the n-th.
// A block freed twice and never taken again is reported here, before the memory is gone.
void scan_chain(const ThreadCache* t, const Block* head, uint32_t n) {
  const Block* b = head;
  for (uint32_t i = 0; i < n && b; ++i, b = tcache_next(t, b)) checked_free_block(b);
  if (HM_UNLIKELY(b != nullptr)) page_stale_block(repeated_block(t, head, n));
}

void scan_bins(const ThreadCache* t) {
  for (unsigned c = 0; c < kClassCount; ++c) {
    const Bin& bin = slow_bin(t, c);
    scan_chain(t, bin.head, bin.count());
    scan_chain(t, t->spare[c], tcache_spare_count(t, c));
  }
}

// malloc_trim's cooling of a heap waiting in the pool: its bins back to the pages, as the
// record's thread would (the cache is the calling thread's meanwhile), then its pages sorted
// with none kept.
void cool_pooled(Heap* h) {
  ThreadCache* t = tcache_of(h);
  ThreadCache* saved = tl_cache;
  tl_cache = t;
  flush_bins(t);
  heap_sort_pages(h, false);
  tl_cache = saved;
}

}  // namespace

void tcache_flush_all() {
  ThreadCache* t = tl_cache;
  if (!t->heap.real) return;
  for (unsigned c = 0; c < kClassCount; ++c) {
    flush_bin(t, c);
    Block* batch;
    while (uint32_t n = transfer_take(c, &batch)) return_chain(t, batch, n);
    heap_release_empty(&t->heap, c);  // every empty page back, the kept ones and the current one included
  }
}

void tcache_thread_exit(ThreadCache* t) {
  if (!t->heap.real) return;
  ThreadCache* saved = tl_cache;
  tl_cache = t;
  HM_CHECK_HOOK(heap_exit, &t->heap, 0);
  // A flush checks every block it returns; a heap parked whole is walked later (takes, trim,
  // the process-exit scan), unless HAKMEM_EXIT_SCAN=2 asks for the report at this exit.
  if (config().exit_scan == 2) scan_bins(t);
  if (!heap_park_whole(&t->heap)) {
    flush_bins(t);
    heap_sort_pages(&t->heap, true);
  }
  heap_retire(&t->heap);
  tl_cache = saved == t ? &g_empty_cache : saved;
}

void tcache_process_init() {
  static constinit bool done = false;  // the front calls this once, under its start-up state
  if (done) return;
  done = true;
  transfer_process_init();  // its fork handler first: at fork, the heap box's locks are taken first
  heap_process_init(sizeof(ThreadCache), offsetof(ThreadCache, heap),
                    [](Heap* h) { tcache_thread_exit(tcache_of(h)); });
}

uint64_t tcache_trim() {
  uint64_t freed = 0;
  ThreadCache* t = tl_cache;
  if (t->heap.real) {
    uint64_t before = t->heap.counters.pages_freed;
    tcache_flush_all();
    freed += t->heap.counters.pages_freed - before;
  }
  freed += heap_pool_cool(cool_pooled);
  return freed + heap_trim_abandoned();
}

void tcache_exit_scan() {
  if (!config().exit_scan) return;
  if (tl_cache->heap.real) scan_bins(tl_cache);
  heap_pool_for_each([](Heap* h, void*) { scan_bins(tcache_of(h)); }, nullptr);
  transfer_visit([](unsigned, const TransferBatch& b, void*) { scan_chain(&g_empty_cache, b.head, b.n); }, nullptr);
}

}  // namespace hm
