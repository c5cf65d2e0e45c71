// In the asan build (HAKMEM_ASAN=1) hakmem poisons free blocks (alloc/page/poison.h,
// alloc/large/poison.h): a use after free through the hm_* API is reported by ASan. Each case
// frees a block and touches it in a child (death test) that must die with ASan's report; the
// parent then checks the block is usable again once handed out. Outside asan builds: skipped.
#include <gtest/gtest.h>

#include <cstring>

#include "hakmem/hakmem.h"

namespace {

#if defined(HAKMEM_ASAN) && HAKMEM_ASAN
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif

volatile char sink;

void touch(void* p, size_t off) { sink = static_cast<volatile char*>(p)[off]; }

TEST(Poison, SmallBlockUseAfterFreeIsReported) {
  if (!kAsan) GTEST_SKIP() << "asan build only";
  for (size_t n : {size_t{32}, size_t{100}, size_t{1000}, size_t{5000}, size_t{100000}}) {
    EXPECT_DEATH(
        {
          char* p = static_cast<char*>(hm_malloc(n));
          std::memset(p, 1, n);
          hm_free(p);
          touch(p, n - 1);
        },
        "use-after-poison")
        << n;
  }
}

TEST(Poison, LargeCachedBlockUseAfterFreeIsReported) {
  if (!kAsan) GTEST_SKIP() << "asan build only";
  EXPECT_DEATH(
      {
        char* p = static_cast<char*>(hm_malloc(size_t{1} << 20));
        hm_free(p);  // cached, not unmapped
        touch(p, 4096);
      },
      "use-after-poison");
}

// The allocator's own words of a free block stay addressable, and reused blocks are whole.
TEST(Poison, ReusedBlocksAreFullyAddressable) {
  for (int round = 0; round < 3; ++round) {
    for (size_t n : {size_t{16}, size_t{48}, size_t{1024}, size_t{70000}, size_t{1} << 20}) {
      char* p = static_cast<char*>(hm_malloc(n));
      ASSERT_NE(p, nullptr);
      std::memset(p, 0x5a, n);
      char* q = static_cast<char*>(hm_realloc(p, n + 1));
      ASSERT_NE(q, nullptr);
      q[n] = 1;
      hm_free(q);
      char* z = static_cast<char*>(hm_calloc(1, n));
      for (size_t i = 0; i < n; i += 61) ASSERT_EQ(z[i], 0);
      hm_free(z);
    }
    hm_thread_flush();
  }
}

}  // namespace
