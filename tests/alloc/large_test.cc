#include "large/large.h"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "config/config.h"
#include "config/inspect.h"
#include "hakmem/hakmem.h"
#include "os/os.h"
#include "pagemap/pagemap.h"
#include "segment/segment.h"

namespace hm {
namespace {

struct LargeTest : ::testing::Test {
  void SetUp() override { hm_free(hm_malloc(16)); }
};

TEST_F(LargeTest, BlocksAreAlignedUsableAndFoundAgain) {
  for (size_t align : {size_t{16}, size_t{4096}, size_t{1} << 16, size_t{1} << 21, size_t{1} << 22,
                       size_t{1} << 23}) {
    void* p = large_alloc(300000, align);
    ASSERT_NE(p, nullptr) << align;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u);
    std::memset(p, 0x77, 300000);
    LargeHeader* h = nullptr;
    ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(p), &h), LargeLookup::kOk) << align;
    EXPECT_GE(large_usable(h), 300000u);
    EXPECT_EQ(large_lookup(reinterpret_cast<uintptr_t>(p) + 64, &h), LargeLookup::kInterior);
    LargeHeader* hdr = nullptr;
    large_lookup(reinterpret_cast<uintptr_t>(p), &hdr);
    large_free(hdr);
  }
}

TEST_F(LargeTest, FreedMappingsAreCachedAndReused) {
  large_cache_trim();
  void* p = large_alloc(500000, 16);
  LargeHeader* h = nullptr;
  ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(p), &h), LargeLookup::kOk);
  uint64_t hits = large_counters().cache_hits.load();
  large_free(h);
  EXPECT_EQ(large_lookup(reinterpret_cast<uintptr_t>(p), &h), LargeLookup::kFreed);
  void* q = large_alloc(400000, 16);
  EXPECT_EQ(q, p);
  EXPECT_EQ(large_counters().cache_hits.load(), hits + 1);
  ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(q), &h), LargeLookup::kOk);
  large_free(h);
  large_cache_trim();
  EXPECT_EQ(pagemap_kind(reinterpret_cast<uintptr_t>(p)), kSegNone);
}

TEST_F(LargeTest, CallocFromTheCacheIsZeroed) {
  large_cache_trim();
  auto* p = static_cast<unsigned char*>(large_alloc(600000, 16));
  std::memset(p, 0xff, 600000);
  LargeHeader* h = nullptr;
  large_lookup(reinterpret_cast<uintptr_t>(p), &h);
  large_free(h);
  auto* q = static_cast<unsigned char*>(large_calloc(590000));
  ASSERT_EQ(q, p);
  for (size_t i = 0; i < 590000; i += 4093) ASSERT_EQ(q[i], 0) << i;
  large_lookup(reinterpret_cast<uintptr_t>(q), &h);
  large_free(h);
}

TEST_F(LargeTest, ForeignAddressesAreNotOurs) {
  int local;
  LargeHeader* h = nullptr;
  EXPECT_EQ(large_lookup(reinterpret_cast<uintptr_t>(&local), &h), LargeLookup::kNotOurs);
}


// Resident pages of [p, p + n) (mincore).
size_t resident_pages(void* p, size_t n) {
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> v((n + page - 1) / page);
  if (mincore(p, n, v.data()) != 0) return SIZE_MAX;
  size_t r = 0;
  for (unsigned char c : v) r += c & 1;
  return r;
}

// HAKMEM_LARGE_PURGE_MS for one test, put back at its end; the cache is emptied at both ends.
struct PurgeDelay {
  long saved = config_detail::g_config.large_purge_ms;
  explicit PurgeDelay(long ms) { set(ms), large_cache_trim(); }
  ~PurgeDelay() { set(saved), large_cache_trim(); }
  void set(long ms) { config_detail::g_config.large_purge_ms = ms; }
};

// A block of `size` bytes written all over with `fill`, then freed into the cache; its address.
unsigned char* cached_dirty(size_t size, int fill) {
  auto* p = static_cast<unsigned char*>(large_alloc(size, 16));
  if (!p) return nullptr;
  std::memset(p, fill, size);
  LargeHeader* h = nullptr;
  if (large_lookup(reinterpret_cast<uintptr_t>(p), &h) != LargeLookup::kOk) return nullptr;
  large_free(h);
  return p;
}

// The header of live block p (nullptr when p is none).
LargeHeader* live_header(const void* p) {
  LargeHeader* h = nullptr;
  return large_lookup(reinterpret_cast<uintptr_t>(p), &h) == LargeLookup::kOk ? h : nullptr;
}

// HAKMEM_LARGE_PURGE_MS: 0 purges a freed mapping's pages as it enters the cache (the mapping
// stays cached and serves the next request, zero-filled); -1 keeps them resident.
TEST_F(LargeTest, IdleCachedMappingsGiveTheirPagesBack) {
  auto& cfg = config_detail::g_config;
  long saved = cfg.large_purge_ms;
  constexpr size_t kSize = size_t{1} << 20;
  for (long delay : {-1L, 0L}) {
    cfg.large_purge_ms = delay;
    large_cache_trim();
    void* p = large_alloc(kSize, 16);
    ASSERT_NE(p, nullptr);
    std::memset(p, 0x5a, kSize);
    LargeHeader* h = nullptr;
    ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(p), &h), LargeLookup::kOk);
    uint64_t purges = large_counters().purges.load();
    size_t before = resident_pages(h, h->map_size);
    large_free(h);
    size_t after = resident_pages(h, h->map_size);  // still mapped: it is cached
    if (delay < 0) {
      EXPECT_EQ(large_counters().purges.load(), purges);
      EXPECT_EQ(after, before);
    } else {
      EXPECT_EQ(large_counters().purges.load(), purges + 1);
      EXPECT_LE(after, 1u) << "only the header's page stays";
    }
    uint64_t hits = large_counters().cache_hits.load();
    auto* q = static_cast<unsigned char*>(large_alloc(kSize, 16));
    EXPECT_EQ(q, p) << "the cached mapping serves again";
    EXPECT_EQ(large_counters().cache_hits.load(), hits + 1);
    if (delay == 0) EXPECT_EQ(q[kSize - 1], 0) << "purged pages come back zero-filled";
    ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(q), &h), LargeLookup::kOk);
    large_free(h);
  }
  cfg.large_purge_ms = saved;
  large_cache_trim();
}

// A calloc served by a purged cached mapping leaves its pages unwritten (they read as zero after
// the purge), so they are not faulted in; one served by a resident mapping zeroes what the last
// block wrote.
TEST_F(LargeTest, CallocOfAPurgedMappingLeavesItsPagesAlone) {
  constexpr size_t kSize = size_t{1} << 20;
  for (long delay : {0L, -1L}) {
    PurgeDelay purge(delay);
    unsigned char* p = cached_dirty(kSize, 0x5a);
    ASSERT_NE(p, nullptr);
    auto* q = static_cast<unsigned char*>(large_calloc(kSize - 4096));
    ASSERT_EQ(q, p) << "the cached mapping serves the calloc";
    LargeHeader* h = live_header(q);
    ASSERT_NE(h, nullptr);
    size_t resident = resident_pages(h, h->map_size);
    if (delay == 0) EXPECT_LE(resident, 1u) << "only the header's page: the purged pages were not written";
    else EXPECT_GE(resident, kSize / 4096);
    for (size_t i = 0; i < kSize - 4096; i += 509) ASSERT_EQ(q[i], 0) << i << " delay " << delay;
    large_free(h);
  }
}

// A calloc served by a resident cached mapping larger than the request (up to twice) zeroes the
// bytes asked for, not the whole mapping.
TEST_F(LargeTest, CallocOfALargerResidentMappingZeroesTheRequestOnly) {
  PurgeDelay purge(-1);
  constexpr size_t kOld = 600000, kNew = 400000;
  unsigned char* p = cached_dirty(kOld, 0xff);
  ASSERT_NE(p, nullptr);
  auto* q = static_cast<unsigned char*>(large_calloc(kNew));
  ASSERT_EQ(q, p) << "the cached mapping serves the calloc whole";
  for (size_t i = 0; i < kNew; i += 509) ASSERT_EQ(q[i], 0) << i;
  EXPECT_EQ(q[kNew - 1], 0);
  EXPECT_EQ(q[kNew + 4096], 0xff) << "past the request: left as it was";
  large_free(live_header(q));
}

// A purged cached mapping grown for a calloc (HAKMEM_LARGE_RESIZE) takes pages from other cached
// mappings, which hold what their blocks wrote: those are zeroed.
TEST_F(LargeTest, CallocOfAPurgedMappingGrownWithOthersPagesIsZeroed) {
  auto& cfg = config_detail::g_config;
  long saved_resize = cfg.large_resize;
  cfg.large_resize = 1;
  PurgeDelay purge(-1);
  constexpr size_t kA = size_t{1} << 20, kC = size_t{512} << 10;
  auto* a = static_cast<unsigned char*>(large_alloc(kA, 16));
  auto* c = static_cast<unsigned char*>(large_alloc(kC, 16));
  ASSERT_TRUE(a && c);
  std::memset(a, 0x5a, kA);
  std::memset(c, 0xa5, kC);
  LargeHeader *ha = nullptr, *hc = nullptr;
  ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(a), &ha), LargeLookup::kOk);
  ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(c), &hc), LargeLookup::kOk);
  purge.set(0);
  large_free(ha);  // purged as it is cached
  purge.set(-1);
  large_free(hc);  // cached with its pages
  uint64_t resizes = large_counters().resizes.load();
  constexpr size_t kWant = kA + kC / 2;
  auto* q = static_cast<unsigned char*>(large_calloc(kWant));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(large_counters().resizes.load(), resizes + 1) << "the purged mapping grew";
  for (size_t i = 0; i < kWant; i += 509) ASSERT_EQ(q[i], 0) << i;
  LargeHeader* h = nullptr;
  ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(q), &h), LargeLookup::kOk);
  large_free(h);
  cfg.large_resize = saved_resize;
}

// large_purge_idle (the small slow path's call): a cached mapping idle for HAKMEM_LARGE_PURGE_MS
// gives its pages back with no large call in between; before that, the call leaves it alone.
TEST_F(LargeTest, IdlePurgeNeedsNoLargeCall) {
  auto& cfg = config_detail::g_config;
  long saved_ms = cfg.large_purge_ms;
  cfg.large_purge_ms = 300;
  large_cache_trim();
  constexpr size_t kSize = size_t{1} << 20;
  void* p = large_alloc(kSize, 16);
  ASSERT_NE(p, nullptr);
  std::memset(p, 0x5a, kSize);
  LargeHeader* h = nullptr;
  ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(p), &h), LargeLookup::kOk);
  large_free(h);
  uint64_t purges = large_counters().purges.load();
  large_purge_idle();
  EXPECT_EQ(large_counters().purges.load(), purges) << "not idle long enough yet";
  EXPECT_GE(resident_pages(h, h->map_size), kSize / 4096);
  usleep(400 * 1000);
  large_purge_idle();
  EXPECT_EQ(large_counters().purges.load(), purges + 1);
  EXPECT_LE(resident_pages(h, h->map_size), 1u);
  large_purge_idle();  // nothing left due: no second purge
  EXPECT_EQ(large_counters().purges.load(), purges + 1);
  cfg.large_purge_ms = saved_ms;
  large_cache_trim();
}

// large_realloc keeps the bytes whether the mapping grows where it is, moves whole or gives
// back its tail, and hands the block on live: header, guard word and requested size for the
// new size, the old address no longer a block when it moved.
TEST_F(LargeTest, ReallocGrowsAndCutsWithTheBytesKept) {
  large_cache_trim();  // no resident cached mapping: every growth is the kernel's
  void* p = large_alloc(size_t{1} << 20, 16);
  ASSERT_NE(p, nullptr);
  for (size_t i = 0; i < (size_t{1} << 20); i += 4096) static_cast<uint8_t*>(p)[i] = static_cast<uint8_t>(i >> 12);
  void* wall = nullptr;  // a page right after the mapping: it cannot grow where it is
  for (size_t sz : {size_t{3} << 20, size_t{9} << 20, size_t{200} << 10}) {
    LargeHeader* h = nullptr;
    ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(p), &h), LargeLookup::kOk);
    if (!wall && sz == (size_t{9} << 20))
      wall = mmap(reinterpret_cast<uint8_t*>(h) + h->map_size, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    void* q = large_realloc(h, sz);
    ASSERT_NE(q, nullptr) << sz;
    for (size_t i = 0; i < (size_t{200} << 10); i += 4096) ASSERT_EQ(static_cast<uint8_t*>(q)[i], static_cast<uint8_t>(i >> 12));
    std::memset(static_cast<uint8_t*>(q) + (size_t{200} << 10), 0x5a, sz - (size_t{200} << 10));  // every page writable
    ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(q), &h), LargeLookup::kOk);
    EXPECT_EQ(h->requested, sz);
    EXPECT_GE(large_usable(h), sz);
    if (q != p) EXPECT_NE(large_lookup(reinterpret_cast<uintptr_t>(p), &h), LargeLookup::kOk);
    p = q;
  }
  if (wall && wall != MAP_FAILED) munmap(wall, 4096);
  LargeHeader* h = nullptr;
  ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(p), &h), LargeLookup::kOk);
  large_free(h);
  large_cache_trim();
}

// A block that realloc grows where it is (room after its mapping: here a hinted one, alone in its
// 4 MiB step) takes a cached mapping's resident pages for its new part, as a block moved to
// grow does, instead of fresh ones the program then faults in.
TEST_F(LargeTest, ABlockGrownWhereItIsTakesCachedPages) {
  if (!kMapHintsAllowed) GTEST_SKIP() << "no hinted mappings in a sanitizer build";
  PurgeDelay resident(-1);  // cached pages stay resident
  struct Hint {
    int saved = config_detail::g_config.map_hint;
    Hint() { config_detail::g_config.map_hint = 1; }
    ~Hint() { config_detail::g_config.map_hint = saved; }
  } hint;
  constexpr size_t kOld = size_t{1} << 20, kMore = size_t{512} << 10;
  auto* p = static_cast<unsigned char*>(large_alloc(kOld, 16));  // a mapping of its own (the cache is empty)
  ASSERT_NE(p, nullptr);
  std::memset(p, 0x11, kOld);
  ASSERT_NE(cached_dirty(kMore, 0x77), nullptr);  // resident, too small to take the grown block
  LargeHeader* h = live_header(p);
  ASSERT_NE(h, nullptr);
  const size_t old_map = h->map_size;
  size_t entries = 0;
  const size_t cached = large_cache_for_each([](LargeHeader*, void*) {}, nullptr, &entries);
  auto* q = static_cast<unsigned char*>(large_realloc(h, kOld + kMore));
  ASSERT_EQ(q, p) << "grown where it is";
  h = live_header(q);
  ASSERT_NE(h, nullptr);
  const size_t grown = h->map_size - old_map;
  // The new part is resident before anything writes it: the cached mapping's pages (all but its
  // header's page and one more).
  EXPECT_GE(resident_pages(reinterpret_cast<uint8_t*>(h) + old_map, grown), kMore / 4096 - 4);
  EXPECT_LT(large_cache_for_each([](LargeHeader*, void*) {}, nullptr, &entries), cached);
  for (size_t i = 0; i < kOld; i += 4096) ASSERT_EQ(q[i], 0x11);
  std::memset(q + kOld, 0x22, kMore);
  large_free(h);
}

// A block aligned to 4 MiB or more starts a unit of its own: large_realloc leaves it as it was.
// So it does a growth that a resident cached mapping would take: a copy into it is cheaper.
TEST_F(LargeTest, ReallocRefusesAUnitAlignedBlock) {
  void* p = large_alloc(size_t{1} << 20, size_t{1} << 22);
  ASSERT_NE(p, nullptr);
  std::memset(p, 0x33, 4096);
  LargeHeader* h = nullptr;
  ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(p), &h), LargeLookup::kOk);
  EXPECT_EQ(large_realloc(h, size_t{2} << 20), nullptr);
  ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(p), &h), LargeLookup::kOk);
  EXPECT_EQ(h->requested, size_t{1} << 20);
  EXPECT_EQ(static_cast<uint8_t*>(p)[4095], 0x33);
  large_free(h);
  void* big = large_alloc(size_t{8} << 20, 16);  // freed: a resident cached mapping of 8 MiB
  ASSERT_NE(big, nullptr);
  std::memset(big, 1, size_t{8} << 20);
  ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(big), &h), LargeLookup::kOk);
  large_free(h);
  void* q = large_alloc(size_t{1} << 20, 16);
  ASSERT_NE(q, nullptr);
  ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(q), &h), LargeLookup::kOk);
  EXPECT_EQ(large_realloc(h, size_t{6} << 20), nullptr);
  EXPECT_EQ(h->requested, size_t{1} << 20);
  large_free(h);
  large_cache_trim();
}

// The gate: HAKMEM_LARGE_REALLOC=1 gives realloc's large-to-large resize to large_realloc (no new
// block); 0 takes a new block, copies and frees the old one. The bytes are kept either way.
TEST_F(LargeTest, ReallocGateChoosesResizeOrCopy) {
  auto& cfg = config_detail::g_config;
  long saved = cfg.large_realloc;
  for (long gate : {1L, 0L}) {
    cfg.large_realloc = gate;
    large_cache_trim();  // no resident cached mapping the growth would rather copy into
    auto* p = static_cast<uint8_t*>(hm_malloc(size_t{600} << 10));
    ASSERT_NE(p, nullptr);
    std::memset(p, 0x42, size_t{600} << 10);
    uint64_t allocs = large_counters().allocs.load(), frees = large_counters().frees.load();
    auto* q = static_cast<uint8_t*>(hm_realloc(p, size_t{5} << 20));
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q[0], 0x42);
    EXPECT_EQ(q[(size_t{600} << 10) - 1], 0x42);
    EXPECT_EQ(large_counters().allocs.load() - allocs, gate ? 0u : 1u) << gate;
    EXPECT_EQ(large_counters().frees.load() - frees, gate ? 0u : 1u) << gate;
    hm_free(q);
  }
  cfg.large_realloc = saved;
}

// HAKMEM_LARGE_GROW_ROOM: a block realloc grows into the cache takes a cached mapping up to that
// many times its size whole (the rest is room: the next growths stay in place); at 0, or past the
// ratio, the mapping is cut to size and its tail stays cached. malloc never takes the room.
TEST_F(LargeTest, GrowRoomTakesACachedMappingWhole) {
  auto& cfg = config_detail::g_config;
  long saved = cfg.large_grow_room;
  struct Case { long room; bool growing; bool whole; };
  for (Case c : {Case{8, true, true}, Case{8, false, false}, Case{0, true, false}, Case{2, true, false}}) {
    cfg.large_grow_room = c.room;
    large_cache_trim();
    void* big = large_alloc(size_t{8} << 20, 16);  // freed: a resident cached mapping of 8 MiB
    ASSERT_NE(big, nullptr);
    std::memset(big, 1, size_t{8} << 20);
    LargeHeader* h = nullptr;
    ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(big), &h), LargeLookup::kOk);
    size_t mapped = h->map_size;
    large_free(h);
    void* q = large_alloc(size_t{1} << 20, 16, c.growing);
    ASSERT_NE(q, nullptr);
    ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(q), &h), LargeLookup::kOk);
    EXPECT_EQ(q, big) << c.room << c.growing;  // the cached mapping served, cut or whole
    EXPECT_EQ(h->requested, size_t{1} << 20);
    if (c.whole) {
      EXPECT_EQ(h->map_size, mapped) << c.room;
      EXPECT_GE(large_usable(h), size_t{8} << 20);
    } else {
      EXPECT_LT(large_usable(h), size_t{2} << 20) << c.room << c.growing;
    }
    std::memset(q, 2, large_usable(h));  // every page of the block writable
    large_free(h);
  }
  cfg.large_grow_room = saved;
  large_cache_trim();
}

// A growing realloc that fits the block's mapping (here room a growing block took whole from the
// cache) keeps room for HAKMEM_LARGE_GROW_KEEP (2) times its size, the tail past it back in the
// cache; the growths into that room keep the mapping as it is, with no call to the kernel. Only a
// shrink gives back more. At 0 the growth keeps all the room.
TEST_F(LargeTest, AGrowthWithinTheMappingKeepsRoomForAsMuchAgain) {
  auto& cfg = config_detail::g_config;
  long saved = cfg.large_grow_room;
  cfg.large_grow_room = 8;
  large_cache_trim();
  void* big = large_alloc(size_t{8} << 20, 16);
  ASSERT_NE(big, nullptr);
  LargeHeader* h = live_header(big);
  ASSERT_NE(h, nullptr);
  const size_t mapped = h->map_size;
  large_free(h);
  auto* p = static_cast<unsigned char*>(large_alloc(size_t{1} << 20, 16, true));  // the 8 MiB mapping, whole
  ASSERT_EQ(p, big);
  std::memset(p, 0x3c, size_t{1} << 20);
  h = live_header(p);
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(h->map_size, mapped);
  ASSERT_EQ(large_realloc(h, size_t{1280} << 10), p);
  const size_t kept = (h->offset + (size_t{2560} << 10) + 4095) & ~size_t{4095};
  EXPECT_EQ(h->map_size, kept) << "room for as much again";
  EXPECT_EQ(h->requested, size_t{1280} << 10);
  uint64_t maps = os_counters().maps.load(), unmaps = os_counters().unmaps.load();
  for (size_t sz : {size_t{1600} << 10, size_t{2400} << 10}) {  // within the room
    ASSERT_EQ(large_realloc(h, sz), p) << sz;
    EXPECT_EQ(h->map_size, kept) << sz << ": the room kept";
    EXPECT_EQ(h->requested, sz);
  }
  EXPECT_EQ(os_counters().maps.load(), maps);
  EXPECT_EQ(os_counters().unmaps.load(), unmaps);
  ASSERT_EQ(large_realloc(h, size_t{200} << 10), p);  // a shrink: the tail goes
  EXPECT_LT(h->map_size, size_t{1} << 20);
  for (size_t i = 0; i < (size_t{200} << 10); i += 997) ASSERT_EQ(p[i], 0x3c) << i;
  large_free(h);
  large_cache_trim();
  // HAKMEM_LARGE_GROW_KEEP=0: the growth keeps all the room it took.
  long saved_keep = cfg.large_grow_keep;
  cfg.large_grow_keep = 0;
  big = large_alloc(size_t{8} << 20, 16);
  ASSERT_NE(big, nullptr);
  large_free(live_header(big));
  p = static_cast<unsigned char*>(large_alloc(size_t{1} << 20, 16, true));
  ASSERT_EQ(p, big);
  h = live_header(p);
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(large_realloc(h, size_t{1280} << 10), p);
  EXPECT_EQ(h->map_size, mapped);
  large_free(h);
  cfg.large_grow_keep = saved_keep;
  cfg.large_grow_room = saved;
  large_cache_trim();
}

}  // namespace
}  // namespace hm
