// invariants/: the checkers of every box's invariants (alloc/registry/invariants.def).
//
//   hm_check_all / hm_check_box (api.cc) ─┐
//   check hooks of the debug build (hooks.cc) ─┴─▶ per-box checkers (<box>_check.cc) ─▶ Sink
//
// A checker reads one box's live state and records each broken invariant in a Sink
// (ID, object, expected vs found). Nothing here allocates from any heap. Checkers only
// walk state the caller may read safely: the calling thread's heap and the pages it owns,
// the segments under the segment lock, the large cache under its lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "registry/registry.h"
#include "report/report.h"

namespace hm {
struct Page;
struct Heap;
struct Segment;
struct LargeHeader;
struct Block;
}  // namespace hm

namespace hm::check {

// One broken invariant.
struct Finding {
  registry::InvId inv;
  report::Site site;  // site.expected / site.found point into the two buffers below
  char expected[96];
  char found[96];
};

// The object a finding is about.
struct Where {
  const void* addr = nullptr;
  int size_class = -1;
  const void* page = nullptr;
  const void* segment = nullptr;
};
Where at_page(const Page* pg, const void* addr);
// An object of size class cls (a bin, a batch, a block in one).
Where at_class(unsigned cls, const void* addr);

// Collects findings: counts them and keeps the first. With a box name, findings of other
// boxes are dropped (hm_check_box).
class Sink {
 public:
  explicit Sink(std::string_view only_box = {}) : only_(only_box) {}
  // Records a broken invariant with "<what> <expected>" vs "<what> <found>"; returns false.
  bool fail(registry::InvId inv, const Where& w, const char* what, uint64_t expected, uint64_t found,
            bool hex = false);
  // "<expected_what> <expected>" vs "<found_what> <found>".
  bool fail2(registry::InvId inv, const Where& w, const char* expected_what, uint64_t expected, const char* found_what,
             uint64_t found);
  // The same with free-form expected / found texts.
  bool fail_text(registry::InvId inv, const Where& w, const char* expected, const char* found);
  // The same with a free-form expected text and "<what> <found>".
  bool fail_found(registry::InvId inv, const Where& w, const char* expected, const char* what, uint64_t found);
  int count() const { return count_; }
  const Finding& first() const { return first_; }

 private:
  std::string_view only_;
  int count_ = 0;
  Finding first_;  // the first finding; read only when count_ > 0, so not cleared per Sink
};

// ---- levels ----

// The level the hooks run at: HAKMEM_CHECK, unless a test set one.
int hook_level();
// Test seam: overrides HAKMEM_CHECK for the hooks; -1 returns to the gate.
void set_level(int level);

// ---- per-box checkers ----

// config (config_check.cc): INV-CONFIG-1.
void check_config(Sink& s);

// sizeclass (sizeclass_check.cc): INV-SIZECLASS-1, over the mapping functions in force.
struct SizeclassTable {
  size_t (*to_size)(unsigned cls);
  unsigned (*to_class)(size_t n);
  unsigned count;
  size_t max_small;
};
void check_sizeclass(Sink& s);
// Test seam: checks `t` instead of the sizeclass box's functions; nullptr restores them.
void set_sizeclass_table(const SizeclassTable* t);

// segment (segment_check.cc): INV-SEGMENT-1 (O1), -2 and -3 (level 2) of one segment; the
// caller holds the segment lock for level 2. check_segments walks every live segment.
bool check_segment(Sink& s, const Segment* seg, int level);
void check_segments(Sink& s, int level);
// The same walk of one segment, under the segment lock.
void check_one_segment(Sink& s, const Segment* seg, int level);

// pagemap (pagemap_check.cc): INV-PAGEMAP-1 over the written pages of the map, under its lock.
void check_pagemap(Sink& s);

// page (page_check.cc): the O(1) checks of a page (INV-SEGMENT-1, INV-SEGMENT-4, INV-PAGE-1),
// and the walk of a page owned by `owner` (INV-PAGE-2/-3/-4, INV-REMOTE-1 by remote_check.cc).
bool check_page_o1(Sink& s, const Page* pg);
bool check_page_walk(Sink& s, const Page* pg, const Heap* owner);

// remote (remote_check.cc): INV-REMOTE-1 (and INV-PAGE-4 for the queued blocks) over the
// remote queue of a page the caller owns; *pending receives the queue length.
bool check_remote_queue(Sink& s, const Page* pg, unsigned* pending);
// O(1): the head of the queue is a block of the page.
bool check_remote_head(Sink& s, const Page* pg);

// transfer (transfer_check.cc): O(1), the head of a batch put or taken is a block of a page
// of its class; the walk of every batch (INV-TRANSFER-1, INV-PAGE-4) and the byte total
// (INV-TRANSFER-2), under the box's lock.
bool check_transfer_head(Sink& s, unsigned cls, const Block* head);
// A block a bin or batch of class cls holds: a block start of a page of that class carrying
// its free cookie (INV-PAGE-4); other faults are reported as `inv`.
bool check_free_block(Sink& s, registry::InvId inv, unsigned cls, const Block* b);
// walk_batches false: the byte total against the batches' counts only (no chain is walked).
void check_transfer(Sink& s, bool walk_batches = true);

// tcache (tcache_check.cc): INV-TCACHE-1 of a bin (O1) and INV-TCACHE-2 (bin walk) of a class
// of heap h's cache; check_cache runs them for one class or all (-1), with the heap box's
// INV-TCACHE-3 (page queues) at level 2 and the O(1) checks of every page in the queues, and at
// level 2 the walk of each page of `walk_cls` (-1: every class; -2: none); check_heap does it
// for a live heap.
bool check_bin_bound(Sink& s, const Heap* h, unsigned cls);
bool check_bin_list(Sink& s, const Heap* h, unsigned cls);
void check_cache(Sink& s, const Heap* h, int level, int cls, int walk_cls);
void check_heap(Sink& s, const Heap* h, int level, int cls, int walk_cls);

// heap (heap_check.cc): INV-TCACHE-3 (page queues) of a class of heap h. INV-TCACHE-4 (level 2)
// of a heap waiting in the pool -- no thread's, its pooled slices those of its pages -- then its
// bins, queues and pages as check_cache walks them; check_pool does it for every waiting heap
// under the heap-list lock and checks the pool's total.
bool check_queues(Sink& s, const Heap* h, unsigned cls);
bool check_pooled_heap(Sink& s, const Heap* h, int level);
void check_pool(Sink& s, int level);

// large (large_check.cc): INV-LARGE-1 of a header (handed out or cached) and the cache walk
// (INV-LARGE-1 of every entry, INV-LARGE-2 at level 2).
bool check_large_header(Sink& s, const LargeHeader* hdr, bool cached);
void check_large_cache(Sink& s, int level);

// front (front_check.cc): INV-FRONT-1 of one redzoned block (user pointer p, block blk), and at
// level 2 of the calling thread's last redzoned blocks still live.
bool check_redzone(Sink& s, const Block* blk, const void* p);
void check_front(Sink& s, int level);

// ---- level 2's incremental walker (walker.cc) ----

// Blocks of credit each checked operation gives the walker, and what a walk of the shared
// boxes (transfer, segments, pool, large cache) costs it at the end of a round.
inline constexpr int64_t kStepBlocks = 16;
inline constexpr int64_t kGlobalCost = 256;
// One step of the calling thread's walker over its heap h (see walker.cc).
void walker_step(Sink& s, const Heap* h);
// The bound of the walker: within this many checked operations of h's thread, every page,
// bin and queue of h and every shared box has been walked (from h's state now; a heap that
// grows meanwhile makes its round longer by what it adds).
uint64_t walker_round_ops(const Heap* h);
// Full walks: the calling thread's heap and the shared boxes; one heap (at its thread's exit).
void walk_all_mine(Sink& s);
void walk_heap(Sink& s, const Heap* h);

// What the checks of this process did: hook calls at level >= 1 (whole batches) and their
// estimated time, pages the
// walker visited, its completed rounds, and full walks.
struct CheckSummary {
  uint64_t checks, ns, pages, rounds, full;
};
// Checks are counted in batches of kTimedEvery per thread, and the last of each batch is timed
// (its time, times kTimedEvery, estimates the batch's): count_check says whether to time this one.
inline constexpr uint32_t kTimedEvery = 64;
uint64_t check_clock_ns();
// The calling thread's checks not yet added to the process's count (walker.cc), and the
// addition of one whole batch.
extern constinit thread_local uint32_t tl_checks __attribute__((tls_model("initial-exec")));
void count_batch();
inline bool count_check() {
  if (++tl_checks % kTimedEvery) return false;
  count_batch();
  return true;
}
void time_check(uint64_t ns);
// Adds the calling thread's checks not yet counted (at its exit and the process's).
void flush_check_count();
CheckSummary check_summary();
// Appends the summary as one JSON line to path (HAKMEM_CHECK_SUMMARY).
void write_check_summary(const char* path);

// ---- zero-gated counters (never.def) ----

enum class Never : int {
#define HM_NEVER(tok, box, text) tok,
#include "never.def"
#undef HM_NEVER
  count_
};
void never_hit(Never n);
uint64_t never_value(Never n);
// Test seam: zeroes every counter.
void never_reset();

}  // namespace hm::check
