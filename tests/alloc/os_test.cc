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
