#include "large/large.h"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "config/config.h"
#include "config/inspect.h"
#include "hakmem/hakmem.h"
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

}  // namespace
}  // namespace hm
