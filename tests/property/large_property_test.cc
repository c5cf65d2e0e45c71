// Property test of the large box: large_alloc, large_free, large_usable, large_header_of
// (large_lookup), against a model of live blocks and of the cache of freed mappings.
//
// Model of the cache: a LIFO list of (mapping size, block offset); a free is cached when the
// mapping fits the byte bound and the list has room, an allocation reuses the first entry with
// the same offset whose size fits without wasting more than half (one realloc grows, else the
// smallest larger one within HAKMEM_LARGE_GROW_ROOM times its size, whole). After every command the
// real cache equals the model (walked with large_cache_for_each), cache hits are counted where
// the model predicts them, live blocks keep their fill, and lookups classify every address.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "config/config.h"
#include "config/inspect.h"
#include "large/large.h"
#include "property_common.h"

namespace {

using namespace hm;

constexpr size_t kPage = 4096;
constexpr size_t kMaxEntries = 32;

struct Entry {
  size_t map_size, offset;
  bool operator==(const Entry& o) const { return map_size == o.map_size && offset == o.offset; }
};
struct Live {
  size_t size, align, map_size, offset;
  uint8_t seed;
};
struct Model {
  std::vector<Live> live;
  std::vector<Entry> cache;  // front = most recently freed
};
struct Sut {
  std::vector<void*> ptrs;
  ~Sut() {
    for (void* p : ptrs) {
      LargeHeader* h = nullptr;
      if (large_lookup(reinterpret_cast<uintptr_t>(p), &h) == LargeLookup::kOk) large_free(h);
    }
    large_cache_trim();
  }
};
using Cmd = rc::state::Command<Model, Sut>;

size_t limit() { return static_cast<size_t>(config().large_cache_mb) << 20; }
size_t cached_bytes(const Model& m) {
  size_t b = 0;
  for (const Entry& e : m.cache) b += e.map_size;
  return b;
}

// What large_alloc(size, align) maps: block offset and mapping size.
Entry geometry(size_t size, size_t align) {
  if (align < 16) align = 16;
  size_t offset = std::max<size_t>(64, align);
  if (offset >= kSegmentSize) offset = kSegmentSize;
  return {(offset + size + kPage - 1) & ~(kPage - 1), offset};
}

// Index of the cache entry an allocation of geometry g reuses, or -1: the first that fits within
// half; for a block realloc grows, else the smallest larger one within HAKMEM_LARGE_GROW_ROOM
// times g (taken whole).
long cache_pick(const Model& m, Entry g, bool growing) {
  if (g.offset >= kSegmentSize) return -1;
  long bigger = -1;
  for (size_t i = 0; i < m.cache.size(); ++i) {
    const Entry& e = m.cache[i];
    if (e.offset != g.offset || e.map_size < g.map_size) continue;
    if (e.map_size / 2 <= g.map_size) return static_cast<long>(i);
    if (bigger < 0 || e.map_size < m.cache[static_cast<size_t>(bigger)].map_size) bigger = static_cast<long>(i);
  }
  size_t room = growing ? static_cast<size_t>(config().large_grow_room) : 0;
  if (bigger >= 0 && m.cache[static_cast<size_t>(bigger)].map_size <= g.map_size * room) return bigger;
  return -1;
}

std::vector<Entry> real_cache(size_t* bytes, size_t* entries) {
  std::vector<Entry> out;
  *bytes = large_cache_for_each(
      [](LargeHeader* h, void* arg) { static_cast<std::vector<Entry>*>(arg)->push_back({h->map_size, h->offset}); },
      &out, entries);
  return out;
}

void check_all(const Model& m, const Sut& s) {
  size_t bytes = 0, entries = 0;
  std::vector<Entry> cache = real_cache(&bytes, &entries);
  RC_ASSERT(cache == m.cache);
  RC_ASSERT(entries == m.cache.size());
  RC_ASSERT(bytes == cached_bytes(m));
  RC_ASSERT(bytes <= limit());
  RC_ASSERT(entries <= kMaxEntries);
  RC_ASSERT(m.live.size() == s.ptrs.size());
  for (size_t i = 0; i < s.ptrs.size(); ++i) {
    const Live& l = m.live[i];
    auto u = reinterpret_cast<uintptr_t>(s.ptrs[i]);
    LargeHeader* h = nullptr;
    RC_ASSERT(large_lookup(u, &h) == LargeLookup::kOk);
    RC_ASSERT(u % l.align == 0);
    RC_ASSERT(h->map_size == l.map_size);
    RC_ASSERT(large_usable(h) == l.map_size - l.offset);
    RC_ASSERT(large_usable(h) >= l.size);
    RC_ASSERT(h->requested == l.size);
    RC_ASSERT(*large_guard_word(u) == (kLargeGuard ^ u));  // the word the front checks for underflow
    RC_ASSERT(hm_prop::check_fill(s.ptrs[i], l.size, l.seed));
    // Interior addresses are classified, not mistaken for the block.
    LargeHeader* dummy = nullptr;
    RC_ASSERT(large_lookup(u + 16, &dummy) == LargeLookup::kInterior);
    RC_ASSERT(large_lookup(u + l.size - 1, &dummy) != LargeLookup::kOk);
  }
  hm_prop::check_invariants("large");
}

rc::Gen<size_t> gen_large_size() {
  return rc::gen::weightedOneOf<size_t>({{16, rc::gen::inRange<size_t>((size_t{128} << 10) + 1, size_t{1} << 20)},
                                         {4, rc::gen::inRange<size_t>(size_t{1} << 20, size_t{4} << 20)},
                                         {1, rc::gen::inRange<size_t>(size_t{8} << 20, size_t{14} << 20)}});
}

struct Alloc : Cmd {
  size_t size = *gen_large_size();
  size_t align = size_t{1} << *rc::gen::weightedOneOf<int>({{6, rc::gen::just(4)}, {3, rc::gen::inRange(5, 17)},
                                                            {1, rc::gen::inRange(17, 24)}});
  bool zero = *rc::gen::weightedOneOf<bool>({{4, rc::gen::just(false)}, {1, rc::gen::just(true)}});
  bool growing = !zero && *rc::gen::weightedOneOf<bool>({{3, rc::gen::just(false)}, {1, rc::gen::just(true)}});
  uint8_t seed = *rc::gen::arbitrary<uint8_t>();
  size_t eff_align() const { return zero ? 16 : align; }
  void apply(Model& m) const override {
    Entry g = geometry(size, eff_align());
    long i = cache_pick(m, g, growing);
    if (i >= 0) {
      g.map_size = m.cache[static_cast<size_t>(i)].map_size;
      m.cache.erase(m.cache.begin() + i);
    }
    m.live.push_back({size, std::max<size_t>(16, eff_align()), g.map_size, g.offset, seed});
  }
  void run(const Model& m, Sut& s) const override {
    bool hit = cache_pick(m, geometry(size, eff_align()), growing) >= 0;
    uint64_t hits = large_counters().cache_hits.load();
    void* p = zero ? large_calloc(size) : large_alloc(size, align, growing);
    RC_ASSERT(bool(p != nullptr));
    RC_ASSERT(large_counters().cache_hits.load() - hits == (hit ? 1u : 0u));
    if (zero) {
      RC_ASSERT(hm_prop::all_zero(p, std::min<size_t>(size, 65536)));
      RC_ASSERT(hm_prop::all_zero(static_cast<char*>(p) + size - 4096, 4096));
    }
    hm_prop::fill_sampled(p, size, seed);
    s.ptrs.push_back(p);
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override {
    os << (zero ? "large_calloc(" : "large_alloc(") << size << ", " << eff_align() << (growing ? ", growing)" : ")");
  }
};

struct Free : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.live.empty()); }
  bool cached(const Model& m, const Live& l) const {
    return l.offset < kSegmentSize && l.map_size <= limit() && cached_bytes(m) + l.map_size <= limit() &&
           m.cache.size() < kMaxEntries;
  }
  void apply(Model& m) const override {
    size_t i = pick % m.live.size();
    Live l = m.live[i];
    if (cached(m, l)) m.cache.insert(m.cache.begin(), {l.map_size, l.offset});
    m.live.erase(m.live.begin() + static_cast<long>(i));
  }
  void run(const Model& m, Sut& s) const override {
    size_t i = pick % s.ptrs.size();
    auto u = reinterpret_cast<uintptr_t>(s.ptrs[i]);
    LargeHeader* h = nullptr;
    RC_ASSERT(large_lookup(u, &h) == LargeLookup::kOk);
    RC_ASSERT(hm_prop::check_fill(s.ptrs[i], m.live[i].size, m.live[i].seed));
    large_free(h);
    s.ptrs.erase(s.ptrs.begin() + static_cast<long>(i));
    // A freed block is recognised as freed while cached, and unknown once unmapped.
    LargeHeader* dummy = nullptr;
    RC_ASSERT(large_lookup(u, &dummy) == (cached(m, m.live[i]) ? LargeLookup::kFreed : LargeLookup::kNotOurs));
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "large_free(#" << pick << ")"; }
};

struct Trim : Cmd {
  void apply(Model& m) const override { m.cache.clear(); }
  void run(const Model& m, Sut& s) const override {
    size_t cached = large_cache_for_each([](LargeHeader*, void*) {}, nullptr, nullptr);
    RC_ASSERT(large_cache_trim() == cached);  // the bytes released are the bytes cached
    RC_ASSERT(large_cache_trim() == 0u);
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "large_cache_trim()"; }
};

// Purging idle mappings gives pages back, never entries: the cache holds the same mappings and
// bytes before and after.
struct PurgeIdle : Cmd {
  void run(const Model& m, Sut& s) const override {
    size_t entries = 0, after_entries = 0;
    size_t before = large_cache_for_each([](LargeHeader*, void*) {}, nullptr, &entries);
    large_purge_idle();
    RC_ASSERT(large_cache_for_each([](LargeHeader*, void*) {}, nullptr, &after_entries) == before);
    RC_ASSERT(after_entries == entries);
    check_all(m, s);
  }
  void show(std::ostream& os) const override { os << "large_purge_idle()"; }
};

// The exact cache model holds with HAKMEM_LARGE_RESIZE=0 (reuse only what fits within half).
RC_GTEST_PROP(LargeProperty, BlocksAndCacheMatchModel, ()) {
  auto& cfg = config_detail::g_config;
  long saved = cfg.large_resize, saved_pct = cfg.large_cache_live_pct;
  cfg.large_resize = 0;
  cfg.large_cache_live_pct = 0;  // the bound is HAKMEM_LARGE_CACHE_MB alone
  large_cache_trim();
  Model m;
  Sut s;
  rc::state::check(m, s, rc::state::gen::execOneOfWithArgs<Alloc, Alloc, Free, Free, Trim, PurgeIdle>());
  cfg.large_resize = saved;
  cfg.large_cache_live_pct = saved_pct;
}

// HAKMEM_LARGE_RESIZE=1: cached mappings are cut (the tail cached on its own), grown (moved, the
// new part taken from other cached mappings' pages) and reused. After any mix of allocations,
// frees and trims of any sizes and alignments, every live block keeps its bytes (sampled), reads
// zero where calloc gave it, every lookup of a block start says kOk, the cache stays within its
// bounds and the large box's invariants hold (headers, byte totals); cached bytes go back on trim.
RC_GTEST_PROP(LargeProperty, ResizingCacheKeepsBlocksAndBounds, ()) {
  auto& cfg = config_detail::g_config;
  long saved = cfg.large_resize;
  cfg.large_resize = 1;
  large_cache_trim();
  struct Live {
    void* p;
    size_t size;
    uint8_t seed;
  };
  std::vector<Live> live;
  auto steps = *rc::gen::inRange(1, 60);
  for (int i = 0; i < steps; ++i) {
    int op = *rc::gen::inRange(0, 12);
    if (op < 5 || live.empty()) {
      size_t size = *gen_large_size();
      bool zero = op == 0;
      size_t align = size_t{1} << *rc::gen::inRange(4, 14);
      void* p = zero ? large_calloc(size) : large_alloc(size, align);
      RC_ASSERT(bool(p));
      RC_ASSERT(reinterpret_cast<uintptr_t>(p) % (zero ? 16 : align) == 0);
      if (zero) RC_ASSERT(hm_prop::all_zero(static_cast<char*>(p) + size - 4096, 4096));
      uint8_t seed = *rc::gen::arbitrary<uint8_t>();
      hm_prop::fill_sampled(p, size, seed);
      live.push_back({p, size, seed});
    } else if (op < 9) {
      size_t k = *rc::gen::inRange<size_t>(0, live.size());
      LargeHeader* h = nullptr;
      RC_ASSERT(large_lookup(reinterpret_cast<uintptr_t>(live[k].p), &h) == LargeLookup::kOk);
      large_free(h);
      live[k] = live.back();
      live.pop_back();
    } else if (op == 9) {
      large_cache_trim();
    } else {  // large_realloc: grown or cut without a copy, the bytes up to the smaller size kept
      size_t k = *rc::gen::inRange<size_t>(0, live.size());
      LargeHeader* h = nullptr;
      RC_ASSERT(large_lookup(reinterpret_cast<uintptr_t>(live[k].p), &h) == LargeLookup::kOk);
      size_t size = *gen_large_size();
      const size_t old_map = h->map_size, old_usable = large_usable(h);
      void* q = large_realloc(h, size);
      if (!q) {  // only a growth a resident cached mapping would take (the front copies into it)
        size_t fits = 0;
        large_cache_for_each([](LargeHeader* c, void* a) { if (c->cached_ms) *static_cast<size_t*>(a) = std::max(*static_cast<size_t*>(a), c->map_size); }, &fits, nullptr);
        RC_ASSERT(size > large_usable(h) && fits >= size);
        RC_ASSERT(h->requested == live[k].size && hm_prop::check_fill(live[k].p, live[k].size, live[k].seed));
        continue;
      }
      RC_ASSERT(hm_prop::check_fill(q, std::min(size, live[k].size), live[k].seed, live[k].size));
      RC_ASSERT(large_lookup(reinterpret_cast<uintptr_t>(q), &h) == LargeLookup::kOk && h->requested == size);
      if (size >= live[k].size && size <= old_usable) {  // a growth that fits: same mapping, room kept or cut
        size_t times = static_cast<size_t>(config().large_grow_keep);
        size_t page = static_cast<size_t>(getpagesize());
        size_t keep = (h->offset + times * size + page - 1) & ~(page - 1);
        RC_ASSERT(reinterpret_cast<uintptr_t>(q) == reinterpret_cast<uintptr_t>(live[k].p));
        RC_ASSERT(h->map_size == (times ? std::min(old_map, keep) : old_map));
      }
      hm_prop::fill_sampled(q, size, live[k].seed);
      live[k].p = q, live[k].size = size;
    }
    for (const Live& l : live) {
      LargeHeader* h = nullptr;
      RC_ASSERT(large_lookup(reinterpret_cast<uintptr_t>(l.p), &h) == LargeLookup::kOk);
      RC_ASSERT(large_usable(h) >= l.size);
      RC_ASSERT(hm_prop::check_fill(l.p, l.size, l.seed));
    }
    size_t entries = 0, bound = 0;
    size_t bytes = large_cache_for_each([](LargeHeader*, void*) {}, nullptr, &entries, &bound);
    RC_ASSERT(bytes <= bound);
    RC_ASSERT(bound >= (static_cast<size_t>(cfg.large_cache_mb) << 20));
    hm_prop::check_invariants("large");
  }
  for (const Live& l : live) {
    LargeHeader* h = nullptr;
    RC_ASSERT(large_lookup(reinterpret_cast<uintptr_t>(l.p), &h) == LargeLookup::kOk);
    large_free(h);
  }
  large_cache_trim();
  size_t entries = 1;
  RC_ASSERT(large_cache_for_each([](LargeHeader*, void*) {}, nullptr, &entries) == 0u);
  cfg.large_resize = saved;
}

// The fork protocol (the front's fork handlers): large_lock_all before fork(), large_unlock_all
// after it in parent and child; both then allocate, look up and free as before. A lock left held
// would hang the child (and fail the test by its timeout).
TEST(LargeFork, LockAllAroundForkLeavesBothSidesWorking) {
  void* before = large_alloc(size_t{1} << 20, 64);
  ASSERT_NE(before, nullptr);
  large_lock_all();
  LargeHeader* h = nullptr;
  EXPECT_EQ(large_lookup(reinterpret_cast<uintptr_t>(before), &h), LargeLookup::kOk);  // lookups take no lock
  pid_t pid = fork();
  if (pid == 0) {
    large_unlock_all();
    int bad = 0;
    void* p = large_alloc(size_t{3} << 20, 16);
    LargeHeader* ph = nullptr;
    bad |= !p || large_lookup(reinterpret_cast<uintptr_t>(p), &ph) != LargeLookup::kOk ? 1 : 0;
    if (p) large_free(ph);
    large_free(h);  // the parent's block, inherited
    bad |= large_counters().frees.load() < 2 ? 2 : 0;
    _exit(bad);
  }
  large_unlock_all();
  ASSERT_GT(pid, 0);
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  EXPECT_EQ(large_lookup(reinterpret_cast<uintptr_t>(before), &h), LargeLookup::kOk);  // the child's free stayed there
  large_free(h);
  void* after = large_alloc(size_t{2} << 20, 16);
  ASSERT_NE(after, nullptr);
  ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(after), &h), LargeLookup::kOk);
  large_free(h);
}

}  // namespace
