#include "os/os.h"

#include <gtest/gtest.h>

#include <cstring>

namespace hm {
namespace {

TEST(Os, AlignedMappingsAreAligned) {
  for (size_t align : {size_t{4096}, size_t{1} << 16, size_t{1} << 22, size_t{1} << 24}) {
    void* p = os_map_aligned(3 * 4096, align);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u);
    std::memset(p, 0xab, 3 * 4096);
    os_unmap(p, 3 * 4096);
  }
}

// HAKMEM_MAP_HINT: a hinted aligned mapping lies in hakmem's own region (2 to 10 TiB) in one
// mmap call, the next one in the 4 MiB step after it; a mapping without the hint lies where the
// kernel puts it (below the libraries, far from the region). Sanitizer builds map as without.
TEST(Os, HintedMappingsLieInTheirOwnRegion) {
  constexpr size_t k4M = size_t{4} << 20;
  uint64_t hinted = os_counters().hinted.load(), maps = os_counters().maps.load();
  auto* a = static_cast<unsigned char*>(os_map_aligned(k4M, k4M, true));
  auto* b = static_cast<unsigned char*>(os_map_aligned(k4M, k4M, true));
  uint64_t maps_ab = os_counters().maps.load() - maps;
  auto* c = static_cast<unsigned char*>(os_map_aligned(k4M, k4M, false));
  ASSERT_TRUE(a && b && c);
  for (auto* p : {a, b, c}) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % k4M, 0u);
    std::memset(p, 0x5a, k4M);
  }
  auto in_region = [](const void* p) {
    auto u = reinterpret_cast<uintptr_t>(p);
    return u >= (uintptr_t{2} << 40) && u < (uintptr_t{10} << 40);
  };
  EXPECT_FALSE(in_region(c));
  if (!kMapHintsAllowed) {  // sanitizer builds
    EXPECT_EQ(os_counters().hinted.load(), hinted);
  } else {
    EXPECT_TRUE(in_region(a) && in_region(b)) << static_cast<void*>(a) << " " << static_cast<void*>(b);
    EXPECT_EQ(b, a + k4M) << "the next step of the region";
    EXPECT_EQ(os_counters().hinted.load(), hinted + 2);
    EXPECT_EQ(maps_ab, 2u) << "one mmap call each";
  }
  for (auto* p : {a, b, c}) os_unmap(p, k4M);
}

TEST(Os, PurgedMemoryReadsAsZero) {
  size_t n = 16 * os_page_size();
  auto* p = static_cast<unsigned char*>(os_map(n));
  ASSERT_NE(p, nullptr);
  std::memset(p, 0x5a, n);
  uint64_t before = os_counters().purges.load();
  os_purge(p, n);
  EXPECT_EQ(os_counters().purges.load(), before + 1);
  for (size_t i = 0; i < n; i += 997) ASSERT_EQ(p[i], 0) << i;
  os_unmap(p, n);
}

}  // namespace
}  // namespace hm
