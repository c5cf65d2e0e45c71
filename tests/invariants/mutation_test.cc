// Mutation tests: for every invariant ID of alloc/registry/invariants.def, seed exactly that
// corruption into live allocator state and show that
//   1. hm_check_box / hm_check_all report that ID and box (structured API),
//   2. hm_check_fail_fast aborts with that report line (death test, SIGABRT),
//   3. in the debug build, a boundary crossing at HAKMEM_CHECK=<level> aborts with it
//      (the check hooks; death test, SIGABRT).
// A last test counts the registry against the table and fails if an invariant has no case.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "front/inspect.h"
#include "common.h"
#include "config/config.h"
#include "config/inspect.h"
#include "hakmem/check.h"
#include "hakmem/hakmem.h"
#include "large/large.h"
#include "os/os.h"
#include "page/page.h"
#include "page_o1.h"
#include "pagemap/pagemap.h"
#include "pagemap/inspect.h"
#include "segment/segment.h"
#include "sizeclass/sizeclass.h"
#include "remote/remote.h"
#include "remote/inspect.h"
#include "heap/inspect.h"
#include "tcache/inspect.h"
#include "transfer/transfer.h"
#include "transfer/inspect.h"

using namespace hm;

namespace {

constexpr size_t kSmall = 256;      // the class whose page, bin and queues are corrupted
constexpr size_t kOther = 2048;     // a block of another page (INV-REMOTE-1)
constexpr size_t kLargeLive = 2 << 20;
constexpr size_t kLargeCached = 1 << 20;
constexpr size_t kBatch = 512;      // the class of the transfer box's one batch
constexpr unsigned kBatchBlocks = 4;

// Live allocator state the mutations corrupt; built fresh by every test.
struct World {
  unsigned cls = size_to_class(kSmall);
  ThreadCache* h = nullptr;
  Page* pg = nullptr;               // owned by this thread, with free blocks on its list
  std::vector<void*> live;          // handed-out blocks of pg
  void* other = nullptr;            // a handed-out block of another class
  void* large_live = nullptr;       // a handed-out large block
  LargeHeader* cached = nullptr;    // the one mapping in the large cache
  Page* extra = nullptr;            // a page outside every queue, deleted by the segment trigger
  unsigned xcls = size_to_class(kBatch);
  Block* spare = nullptr;           // a free block of xcls outside the batch (INV-TRANSFER-2)
  Block* probe = nullptr;           // a one-block batch the transfer trigger puts
  Heap* pooled = nullptr;           // the heap an exited thread left waiting in the pool
  std::vector<void*> orphans;       // blocks of pooled's pages, still handed out

  void build() {
    // The transfer box's batch must wait there for the corruptions: a refill that maps a page
    // would otherwise give an idle class's batch of this thread's blocks back (HAKMEM_TRANSFER_RECLAIM).
    config_detail::g_config.transfer_reclaim = 0;
    hm_thread_flush();
    large_cache_trim();
    std::vector<void*> blocks;
    for (int i = 0; i < 16; ++i) blocks.push_back(hm_malloc(kSmall));
    pg = page_of(reinterpret_cast<uintptr_t>(blocks[0]));
    ASSERT_NE(pg, nullptr);
    std::vector<void*> give_back;
    for (void* b : blocks) {
      if (page_of(reinterpret_cast<uintptr_t>(b)) == pg && live.size() < 6) live.push_back(b);
      else give_back.push_back(b);
    }
    ASSERT_GE(live.size(), 4u);
    ASSERT_GE(give_back.size(), 2u);
    // The returned blocks go to the page's own free list, then one block sits in the bin.
    void* in_bin = give_back.back();
    give_back.pop_back();
    for (void* b : give_back) hm_free(b);
    hm_thread_flush();
    h = tcache_get();
    ASSERT_TRUE(h->heap.real);
    ASSERT_NE(pg->free, nullptr) << "the page has no free-list block";
    ASSERT_EQ(pg->owner.load(), &h->heap);
    hm_free(in_bin);
    ASSERT_GE(h->bins[cls].count(), 1u);
    other = hm_malloc(kOther);
    large_live = hm_malloc(kLargeLive);
    void* c = hm_malloc(kLargeCached);
    hm_free(c);
    size_t entries = 0;
    large_cache_for_each([](LargeHeader* hdr, void* arg) { *static_cast<LargeHeader**>(arg) = hdr; }, &cached,
                         &entries);
    ASSERT_EQ(entries, 1u);
    extra = page_new(size_to_class(4096), &h->heap);
    ASSERT_NE(extra, nullptr);
    // The transfer box holds one batch of kBatchBlocks free blocks, as a flush leaves it.
    Block* head = nullptr;
    for (unsigned i = 0; i < kBatchBlocks; ++i) head = as_free(hm_malloc(kBatch), head);
    spare = as_free(hm_malloc(kBatch), nullptr);
    probe = as_free(hm_malloc(kBatch), nullptr);
    ASSERT_TRUE(transfer_put(xcls, head, kBatchBlocks));
    // A thread leaves its heap in the pool with pages whose blocks outlive it.
    std::thread([this] {
      std::vector<void*> v;
      for (int i = 0; i < 8; ++i) v.push_back(hm_malloc(kSmall));
      for (int i = 0; i < 4; ++i) orphans.push_back(v[i]), hm_free(v[4 + i]);
    }).join();
    heap_pool_for_each([](Heap* p, void* arg) { if (!*static_cast<Heap**>(arg)) *static_cast<Heap**>(arg) = p; }, &pooled);
    ASSERT_NE(pooled, nullptr);
    make_redzoned();
  }

  // A handed-out block made a free one, as a bin holds it: linked to next, cookie set.
  static Block* as_free(void* p, Block* next) {
    auto* b = static_cast<Block*>(p);
    b->next = next;
    b->cookie = free_cookie(reinterpret_cast<uintptr_t>(b));
    return b;
  }
  static void give_back(Block* b) {
    while (b) {
      Block* next = b->next;
      b->cookie = 0;
      hm_free(b);
      b = next;
    }
  }

  void tear_down() {
    if (red) hm_free(red);
    Block* batch;
    while (transfer_take(xcls, &batch)) give_back(batch);
    give_back(spare);
    give_back(probe);
    if (extra) page_delete(extra);
    for (void* b : live) hm_free(b);
    for (void* b : orphans) hm_free(b);
    hm_free(other);
    hm_free(large_live);
    hm_thread_flush();
    large_cache_trim();
  }

  Segment* seg() const { return segment_of(reinterpret_cast<uintptr_t>(pg)); }

  // ---- triggers: boundary crossings whose hooks check the corrupted state ----
  void free_one() { hm_free(live.back()); }
  void refill() {
    while (h->bins[cls].count()) (void)hm_malloc(kSmall);
    (void)hm_malloc(kSmall);
  }
  void new_page() { (void)page_new(size_to_class(8192), &h->heap); }
  void delete_extra() { page_delete(extra); }
  void free_large() { hm_free(large_live); }
  void put_probe() { (void)transfer_put(xcls, probe, 1); }
  // A redzoned block as checked mode hands them out (redzone_wrap works in any build).
  void make_redzoned() {
    void* b = hm_malloc(class_to_size(size_to_class(40 + kRedHead + kRedTail)));
    red = static_cast<uint8_t*>(redzone_wrap(b, 40, class_to_size(size_to_class(40 + kRedHead + kRedTail))));
  }
  uint8_t* red = nullptr;
  // Checked operations of another class, as many as the level-2 walker needs to walk every
  // page, bin and queue of the heap once (its stated bound): corruption no operation touches.
  void walk_round() {
    uint64_t ops = check::walker_round_ops(&h->heap);
    for (uint64_t i = 0; i < ops; ++i) hm_free(hm_malloc(48));
  }
  void take_pooled() {  // a new thread starts on the pool's newest heap
    std::thread([] { hm_free(hm_malloc(kSmall)); }).join();
  }
  TransferBatch& batch() const { return *transfer_batch_for_test(xcls, 0); }
};

// Test-only sizeclass table: class 10 claims the size of class 9, so sizes stop increasing.
size_t broken_to_size(unsigned c) { return class_to_size(c == 10 ? 9 : c); }
unsigned real_to_class(size_t n) { return size_to_class(n); }
const check::SizeclassTable kBrokenTable{broken_to_size, real_to_class, kClassCount, kMaxSmall};

// The bit of the lowest slice of seg that a span uses.
uint64_t used_slice_bit(const Segment* seg) { return uint64_t{1} << __builtin_ctzll(~seg->free_mask & ~uint64_t{1}); }

// The highest free slice of a segment, or 0 when there is none.
unsigned highest_free_slice(const Segment* s) {
  for (unsigned i = kSlicesPerSegment - 1; i > 0; --i)
    if ((s->free_mask >> i) & 1) return i;
  return 0;
}

struct Mutation {
  const char* id;
  int level;  // the HAKMEM_CHECK level at which the corruption is caught
  std::function<void(World&)> seed;
  std::function<void(World&)> restore;
  std::function<void(World&)> trigger;
  const char* variant = "";  // tells apart several corruptions of one invariant
};

// Saved values for restore (one test at a time).
uint64_t g_saved;
void* g_saved_ptr;

// A unit the page map marks none, in the same page of the map as the segment of w.pg (a page the
// box has written), for a stray write into the map.
uint8_t* unmarked_unit_near(const World& w) {
  uintptr_t unit = reinterpret_cast<uintptr_t>(w.seg()) >> kSegmentShift;
  auto* map = const_cast<uint8_t*>(pagemap_detail::g_map.base);  // the test writes past pagemap_set
  uintptr_t first = unit / kPageUnits * kPageUnits;
  for (uintptr_t u = first + 1; u < first + kPageUnits; ++u)
    if (map[u] == kSegNone && u != unit) return map + u;
  return nullptr;
}

const std::vector<Mutation>& mutations() {
  static const std::vector<Mutation> table = {
      {"INV-CONFIG-1", 1,
       [](World&) { g_saved = config_detail::g_config.tcache_max, config_detail::g_config.tcache_max = 0; },
       [](World&) { config_detail::g_config.tcache_max = static_cast<long>(g_saved); },
       [](World& w) { w.refill(); }},
      {"INV-SIZECLASS-1", 1, [](World&) { check::set_sizeclass_table(&kBrokenTable); },
       [](World&) { check::set_sizeclass_table(nullptr); }, [](World& w) { w.new_page(); }},
      {"INV-SEGMENT-1", 1, [](World& w) { w.seg()->magic ^= 0x10; }, [](World& w) { w.seg()->magic ^= 0x10; },
       [](World& w) { w.free_one(); }},
      {"INV-SEGMENT-2", 2,
       [](World& w) {
         unsigned f = highest_free_slice(w.seg());
         ASSERT_NE(f, 0u) << "no free slice to corrupt";
         g_saved = f;
         w.seg()->slice_meta[f] = w.seg()->meta[f];
       },
       [](World& w) { w.seg()->slice_meta[g_saved] = no_span(); }, [](World& w) { w.delete_extra(); }},
      // A used slice marked unpurged (a purge pass would drop a live span's pages), and an
      // aged slice that is not unpurged.
      {"INV-SEGMENT-2", 2, [](World& w) { w.seg()->dirty_mask |= g_saved = used_slice_bit(w.seg()); },
       [](World& w) { w.seg()->dirty_mask &= ~g_saved; }, [](World& w) { w.delete_extra(); }, "dirty_used"},
      {"INV-SEGMENT-2", 2, [](World& w) { w.seg()->aged_mask |= g_saved = used_slice_bit(w.seg()); },
       [](World& w) { w.seg()->aged_mask &= ~g_saved; }, [](World& w) { w.delete_extra(); }, "aged_not_dirty"},
      {"INV-SEGMENT-3", 2, [](World& w) { w.seg()->used_slices += 1; }, [](World& w) { w.seg()->used_slices -= 1; },
       [](World& w) { w.delete_extra(); }},
      {"INV-SEGMENT-4", 1, [](World& w) { w.pg->slices += 1; }, [](World& w) { w.pg->slices -= 1; },
       [](World& w) { w.free_one(); }},
      {"INV-PAGE-1", 1, [](World& w) { w.pg->capacity += 1; }, [](World& w) { w.pg->capacity -= 1; },
       [](World& w) { w.free_one(); }},
      // The carve limit is checked on its own from any thread, against the carved count by the
      // owner (the free below is the owner's).
      {"INV-PAGE-1", 1, [](World& w) { w.pg->carve_limit.fetch_add(1); }, [](World& w) { w.pg->carve_limit.fetch_sub(1); },
       [](World& w) { w.free_one(); }, "carve_limit_step"},
      {"INV-PAGE-1", 1, [](World& w) { w.pg->carved.fetch_sub(1); }, [](World& w) { w.pg->carved.fetch_add(1); },
       [](World& w) { w.free_one(); }, "carved_vs_limit"},
      {"INV-PAGE-2", 2,
       [](World& w) {
         Block* last = w.pg->free;
         while (last->next) last = last->next;
         g_saved_ptr = last;
         last->next = w.pg->free;  // a cycle
       },
       [](World&) { static_cast<Block*>(g_saved_ptr)->next = nullptr; }, [](World& w) { w.free_one(), w.walk_round(); }},
      {"INV-PAGE-3", 2, [](World& w) { w.pg->used += 1; }, [](World& w) { w.pg->used -= 1; },
       [](World& w) { w.free_one(), w.walk_round(); }},
      {"INV-PAGE-4", 2, [](World& w) { w.pg->free->cookie ^= 1; }, [](World& w) { w.pg->free->cookie ^= 1; },
       [](World& w) { w.free_one(), w.walk_round(); }},
      // Planted in a page no operation touches (the operations use another class): the walker
      // finds it within its stated bound.
      {"INV-PAGE-4", 2, [](World& w) { w.pg->free->cookie ^= 1; }, [](World& w) { w.pg->free->cookie ^= 1; },
       [](World& w) { w.walk_round(); }, "walker"},
      {"INV-REMOTE-1", 2,
       [](World& w) {
         auto* x = static_cast<Block*>(w.other);
         x->cookie = free_cookie(reinterpret_cast<uintptr_t>(x));
         uint64_t q = w.pg->remote.load();
         x->next = remote_word_head(q);
         w.pg->remote.store(remote_word(x, remote_word_count(q) + 1));
       },
       [](World& w) {
         auto* x = static_cast<Block*>(w.other);
         w.pg->remote.store(remote_word(x->next, remote_word_count(w.pg->remote.load()) - 1));
         x->cookie = 0;
       },
       [](World& w) { w.free_one(), w.walk_round(); }},
      {"INV-TCACHE-1", 1,
       [](World& w) {
         Bin& b = w.h->bins[w.cls];
         g_saved = b.room;
         b.room = b.bound + 1;  // more room than the bound: a count below zero
       },
       [](World& w) { w.h->bins[w.cls].room = static_cast<uint32_t>(g_saved); }, [](World& w) { w.free_one(); }},
      // These walks (page, remote queue, bin, queues) are the level-2 walker's: found within its
      // bound after the free, not at the free itself (which checks its page's O(1) fields and its
      // bin's top block).
      {"INV-TCACHE-2", 2, [](World& w) { w.h->bins[w.cls].room -= 1; },
       [](World& w) { w.h->bins[w.cls].room += 1; }, [](World& w) { w.free_one(), w.walk_round(); }},
      {"INV-TCACHE-3", 2, [](World& w) { w.h->heap.avail[w.cls].count += 1; },
       [](World& w) { w.h->heap.avail[w.cls].count -= 1; }, [](World& w) { w.free_one(), w.walk_round(); }},
      {"INV-TCACHE-4", 2, [](World& w) { w.pooled->pooled_slices += 1; },
       [](World& w) { w.pooled->pooled_slices -= 1; }, [](World& w) { w.take_pooled(); }},
      {"INV-TRANSFER-1", 2, [](World& w) { w.batch().n += 1; }, [](World& w) { w.batch().n -= 1; },
       [](World& w) { w.put_probe(); }},
      {"INV-TRANSFER-2", 2,
       [](World& w) {  // a well-formed batch one block longer than the box's byte total says
         Block* last = w.batch().head;
         while (last->next) last = last->next;
         last->next = w.spare;
         w.batch().n += 1;
       },
       [](World& w) {
         Block* last = w.batch().head;
         while (last->next != w.spare) last = last->next;
         last->next = nullptr;
         w.batch().n -= 1;
       },
       [](World& w) { w.put_probe(); }},
      // A hint naming the chain's second block in its first's place (with the gate off the batch
      // holds none, so a made-up names buffer stands in for its own): the byte totals still agree,
      // so it is the walker's round, which walks every batch, that finds it.
      {"INV-TRANSFER-3", 2,
       [](World& w) {
         static Block* made_up[1];
         g_saved = w.batch().hints, g_saved_ptr = w.batch().hint;
         made_up[0] = w.batch().head->next;
         w.batch().hints = 1, w.batch().hint = made_up;
       },
       [](World& w) {
         w.batch().hints = static_cast<uint32_t>(g_saved), w.batch().hint = static_cast<Block**>(g_saved_ptr);
       },
       [](World& w) { w.walk_round(); }},
      {"INV-LARGE-1", 2,
       [](World& w) { g_saved = w.cached->requested, w.cached->requested = w.cached->map_size; },
       [](World& w) { w.cached->requested = g_saved; }, [](World& w) { w.free_large(); }},
      // A heap overflow into a redzoned block's tail: found by the walker's check of the
      // thread's recent redzoned blocks (and by the block's free, as a misuse report).
      {"INV-FRONT-1", 2, [](World& w) { w.red[40] ^= 0xff; }, [](World& w) { w.red[40] ^= 0xff; },
       [](World& w) { w.walk_round(); }},
      // A stray write into the page map: a unit marked large that no pagemap_set marked (and no
      // mapping backs). The kind counts disagree before any unit is read.
      {"INV-PAGEMAP-1", 2,
       [](World& w) {
         uint8_t* u = unmarked_unit_near(w);
         ASSERT_NE(u, nullptr) << "no unmarked unit beside the segment";
         g_saved_ptr = u;
         *u = kSegLarge;
       },
       [](World&) { *static_cast<uint8_t*>(g_saved_ptr) = kSegNone; }, [](World& w) { w.delete_extra(); }},
      // A unit marked small through the boundary that holds no segment (a live large mapping).
      {"INV-PAGEMAP-1", 2,
       [](World& w) { pagemap_set(reinterpret_cast<uintptr_t>(w.large_live) & ~kSegmentMask, kSegSmall); },
       [](World& w) { pagemap_set(reinterpret_cast<uintptr_t>(w.large_live) & ~kSegmentMask, kSegLarge); },
       [](World& w) { w.delete_extra(); }, "small_without_segment"},
      {"INV-LARGE-2", 2, [](World& w) { w.cached->map_size += os_page_size(); },
       [](World& w) { w.cached->map_size -= os_page_size(); }, [](World& w) { w.free_large(); }},
  };
  return table;
}

void PrintTo(const Mutation& m, std::ostream* os) { *os << m.id << " at level " << m.level; }

class MutationTest : public testing::TestWithParam<Mutation> {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "fast");
    w_.build();
    ASSERT_FALSE(HasFatalFailure());
    hm_check_result r{};
    ASSERT_EQ(hm_check_all(2, &r), 0) << "state is not clean before seeding: " << r.id << " " << r.expected << " / "
                                      << r.found;
  }
  void TearDown() override { w_.tear_down(); }
  World w_;
};

std::string case_name(const testing::TestParamInfo<Mutation>& info) {
  std::string s = info.param.id;
  if (*info.param.variant) s += std::string("_") + info.param.variant;
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

TEST_P(MutationTest, StructuredApiReportsTheIdAndBox) {
  const Mutation& m = GetParam();
  const auto* inv = registry::find_invariant(m.id);
  ASSERT_NE(inv, nullptr);
  std::string box(inv->box);
  m.seed(w_);
  hm_check_result by_box{}, all{}, below{};
  int n_box = hm_check_box(box.c_str(), m.level, &by_box);
  int n_all = hm_check_all(m.level, &all);
  int n_below = m.level > 1 ? hm_check_box(box.c_str(), m.level - 1, &below) : 0;
  m.restore(w_);
  EXPECT_GE(n_box, 1);
  EXPECT_STREQ(by_box.id, m.id);
  EXPECT_EQ(by_box.box, box);
  EXPECT_GE(n_all, 1);
  EXPECT_STREQ(all.id, m.id);
  EXPECT_NE(by_box.expected[0], '\0');
  EXPECT_NE(by_box.found[0], '\0');
  EXPECT_STRNE(by_box.expected, by_box.found);
  // A corruption only a walk can see (cost ON) is invisible to the O(1) checks.
  if (inv->cost == registry::Cost::ON) EXPECT_EQ(n_below, 0) << below.id;
  hm_check_result after{};
  EXPECT_EQ(hm_check_all(2, &after), 0) << "restore left " << (after.id ? after.id : "");
}

TEST_P(MutationTest, FailFastAbortsWithTheReport) {
  const Mutation& m = GetParam();
  EXPECT_EXIT(
      {
        m.seed(w_);
        hm_check_fail_fast(m.level);
      },
      testing::KilledBySignal(SIGABRT), hm_test::violation_regex(m.id));
}

TEST_P(MutationTest, BoundaryHookAbortsWithTheReport) {
  if (!report::kCheckHooks) GTEST_SKIP() << "check hooks are compiled in the debug build only";
  const Mutation& m = GetParam();
  EXPECT_EXIT(
      {
        m.seed(w_);
        check::set_level(m.level);
        m.trigger(w_);
      },
      testing::KilledBySignal(SIGABRT), hm_test::violation_regex(m.id));
}

TEST_P(MutationTest, BoundaryHookIsQuietWithoutTheCorruption) {
  if (!report::kCheckHooks) GTEST_SKIP() << "check hooks are compiled in the debug build only";
  const Mutation& m = GetParam();
  // The same crossing at the same level on clean state must not report: the death test
  // above fires because of the seeded corruption, not because of the trigger.
  EXPECT_EXIT(
      {
        check::set_level(2);
        m.trigger(w_);
        std::exit(hm_check_all(2, nullptr) == 0 ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
}

INSTANTIATE_TEST_SUITE_P(EveryInvariant, MutationTest, testing::ValuesIn(mutations()), case_name);

// Every invariant has a mutation; an invariant with several corruptions tells them apart by
// their variant, so each test name is unique.
TEST(MutationRegistry, EveryInvariantHasAMutationAndEveryCaseOneName) {
  std::multiset<std::string> ids;
  std::set<std::string> names;
  for (const auto& m : mutations()) {
    ids.insert(m.id);
    EXPECT_TRUE(names.insert(std::string(m.id) + "/" + m.variant).second) << m.id << " " << m.variant << " twice";
  }
  for (const auto& inv : registry::kInvariants)
    EXPECT_GE(ids.count(std::string(inv.id)), 1u) << inv.id << " has no mutation test";
  for (const auto& id : ids) EXPECT_NE(registry::find_invariant(id), nullptr) << id << " is not in the registry";
}

TEST(MutationRegistry, EveryInvariantNamesABoxOfTheRegistry) {
  for (const auto& inv : registry::kInvariants) {
    EXPECT_NE(registry::find_box(inv.box), nullptr) << inv.id;
    hm_check_result r{};
    EXPECT_GE(hm_check_box(std::string(inv.box).c_str(), 2, &r), 0) << inv.id;
  }
  EXPECT_EQ(hm_check_box("no-such-box", 2, nullptr), -1);
}

// A handed-out block's own header (not reachable from any walk) through hm_check_block.
TEST(CheckBlock, LiveLargeHeaderAndSmallPage) {
  void* big = hm_malloc(3 << 20);
  void* small = hm_malloc(48);
  hm_check_result r{};
  EXPECT_EQ(hm_check_block(big, &r), 0);
  EXPECT_EQ(hm_check_block(small, &r), 0);
  LargeHeader* hdr = nullptr;
  ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(big), &hdr), LargeLookup::kOk);
  size_t saved = hdr->requested;
  hdr->requested = hdr->map_size;
  EXPECT_EQ(hm_check_block(big, &r), 1);
  hdr->requested = saved;
  EXPECT_STREQ(r.id, "INV-LARGE-1");
  EXPECT_STREQ(r.box, "large");
  EXPECT_EQ(hm_check_block(static_cast<char*>(small) + 16, &r), -1);
  int local = 0;
  EXPECT_EQ(hm_check_block(&local, &r), -1);
  hm_free(small);
  hm_free(big);
}

}  // namespace

// The level-1 hook's inline page test (page_o1_fault) and check_page_o1, which names the finding,
// agree on every field they read: each corruption is named by the test and reported with its ID.
TEST(PageO1, EveryFaultIsNamedAndReported) {
  using F = check::PageFault;
  void* p = hm_malloc(kSmall);
  Page* pg = page_of(reinterpret_cast<uintptr_t>(p));
  ASSERT_NE(pg, nullptr);
  Segment* seg = segment_of(reinterpret_cast<uintptr_t>(pg));
  ASSERT_EQ(check::page_o1_fault(pg, tcache_heap()), F::ok);
  uint32_t carved = pg->carved.load();
  struct Case {
    const char* what;
    F fault;
    const char* id;
    std::function<void()> flip;  // applied twice: corrupts, then restores
  };
  auto addr_xor = [](uint8_t*& a, uintptr_t x) { a = reinterpret_cast<uint8_t*>(reinterpret_cast<uintptr_t>(a) ^ x); };
  const std::vector<Case> cases = {
      {"segment magic", F::segment, "INV-SEGMENT-1", [&] { seg->magic ^= 0x10; }},
      {"first block", F::start, "INV-SEGMENT-4", [&] { addr_xor(pg->start, 64); }},
      {"slices", F::slices, "INV-SEGMENT-4", [&] { pg->slices ^= 1; }},
      {"class", F::cls, "INV-PAGE-1", [&] { pg->cls ^= 0x80; }},
      {"block size", F::block_size, "INV-PAGE-1", [&] { pg->block_size ^= 16; }},
      {"capacity", F::capacity, "INV-PAGE-1", [&] { pg->capacity ^= 1; }},
      {"multiplier", F::blk_mul, "INV-PAGE-1", [&] { pg->blk_mul ^= 2; }},
      {"cookie secret", F::cookie_key, "INV-PAGE-1", [&] { pg->cookie_key ^= 2; }},
      {"carved", F::carved, "INV-PAGE-1", [&] { pg->carved.store(pg->carved.load() == carved ? pg->capacity + 1 : carved); }},
      {"carve limit", F::carve_limit, "INV-PAGE-1", [&] { pg->carve_limit.fetch_xor(1); }},
  };
  for (const Case& c : cases) {
    c.flip();
    F found = check::page_o1_fault(pg, tcache_heap());
    F other = check::page_o1_fault(pg, nullptr);  // as a thread that does not own the page sees it
    check::Sink s;
    bool ok = check::check_page_o1(s, pg);
    c.flip();
    EXPECT_EQ(found, c.fault) << c.what;
    EXPECT_EQ(other, c.fault == F::carve_limit ? F::carve_step : c.fault) << c.what;
    EXPECT_FALSE(ok) << c.what;
    ASSERT_EQ(s.count(), 1) << c.what;
    EXPECT_EQ(registry::invariant(s.first().inv).id, c.id) << c.what;
  }
  EXPECT_EQ(check::page_o1_fault(pg, tcache_heap()), F::ok);
  hm_free(p);
}
