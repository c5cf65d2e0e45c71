#include "large/large.h"

#include <gtest/gtest.h>

#include <cstring>

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

}  // namespace
}  // namespace hm
