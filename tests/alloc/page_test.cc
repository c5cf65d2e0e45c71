#include "page/page.h"
#include "page/inspect.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>
#include <vector>
#include "hakmem/check.h"

#include <set>

#include "hakmem/hakmem.h"

namespace hm {
namespace {

struct PageTest : ::testing::Test {
  void SetUp() override { hm_free(hm_malloc(16)); }
};

// Carves every block of pg (so that every block index is valid) and returns the chain.
Block* carve_all(Page* pg) {
  Block *first = nullptr, *last = nullptr;
  unsigned n = page_take(pg, pg->capacity, &first, &last);
  EXPECT_EQ(n, pg->capacity);
  last->next = nullptr;
  return first;
}

TEST_F(PageTest, NewPageCarvesLazilyAndEveryCarvedBlockCarriesItsCookie) {
  for (unsigned cls : {0u, 7u, 63u, 70u, kClassCount - 1}) {
    Page* pg = page_new(cls, nullptr);
    ASSERT_NE(pg, nullptr);
    EXPECT_EQ(pg->block_size, class_to_size(cls));
    EXPECT_EQ(pg->capacity, class_slices(cls) * kSliceSize / class_to_size(cls));
    EXPECT_EQ(pg->used, 0u);
    EXPECT_EQ(pg->free, nullptr);
    EXPECT_EQ(pg->carved.load(), 0u);
    EXPECT_TRUE(page_has_free(pg));
    EXPECT_EQ(page_block_index(pg, reinterpret_cast<uintptr_t>(pg->start)), -1);  // never handed out
    std::set<uintptr_t> seen;
    for (Block* b = carve_all(pg); b; b = b->next) {
      uintptr_t u = reinterpret_cast<uintptr_t>(b);
      ASSERT_TRUE(seen.insert(u).second);
      ASSERT_EQ(b->cookie, free_cookie(u));
      ASSERT_GE(page_block_index(pg, u), 0);
    }
    EXPECT_EQ(seen.size(), pg->capacity);
    EXPECT_FALSE(page_has_free(pg));
    pg->used = 0;
    page_delete(pg);
  }
}

TEST_F(PageTest, BlockIndexRejectsInteriorMisalignedAndOutsideAddresses) {
  for (unsigned cls = 0; cls < kClassCount; ++cls) {
    Page* pg = page_new(cls, nullptr);
    ASSERT_NE(pg, nullptr);
    carve_all(pg);
    uintptr_t start = reinterpret_cast<uintptr_t>(pg->start);
    size_t bs = pg->block_size;
    for (uint32_t i = 0; i < pg->capacity; i += 1 + pg->capacity / 64) {
      uintptr_t b = start + i * bs;
      ASSERT_EQ(page_block_index(pg, b), static_cast<long>(i));
      ASSERT_EQ(page_block_index(pg, b + 16), bs == 16 && i + 1 < pg->capacity ? static_cast<long>(i + 1) : -1L);
      ASSERT_EQ(page_block_index(pg, b + 8), -1);
      ASSERT_EQ(page_block_index(pg, b + bs - 16 + (bs == 16 ? 8 : 0)), -1);
    }
    EXPECT_EQ(page_block_index(pg, start + pg->capacity * bs), -1);
    EXPECT_EQ(page_block_index(pg, start - 16), -1);
    pg->used = 0;
    page_delete(pg);
  }
}

TEST_F(PageTest, TakeAndPutKeepUsedCounts) {
  Page* pg = page_new(3, nullptr);
  ASSERT_NE(pg, nullptr);
  Block *first, *last;
  EXPECT_EQ(page_take(pg, 10, &first, &last), 10u);
  EXPECT_EQ(pg->used, 10u);
  Block* b = first;
  for (int i = 0; i < 10; ++i) {
    Block* next = b->next;
    page_put(pg, b);
    b = next;
  }
  EXPECT_EQ(pg->used, 0u);
  EXPECT_EQ(page_take(pg, 100000, &first, &last), pg->capacity);
  EXPECT_EQ(pg->free, nullptr);
  EXPECT_EQ(page_take(pg, 1, &first, &last), 0u);
  pg->used = 0;
  page_delete(pg);
}

// The one-multiply block test against plain division: every offset of every class's span
// (stepping 16 bytes, the finest alignment a pointer passed to free can have besides odd
// ones, which are checked near each block start), at several carve limits.
TEST(PageBlockTest, AgreesWithDivisionForEveryClassOffsetAndCarveLimit) {
  for (unsigned cls = 0; cls < kClassCount; ++cls) {
    uint64_t bs = class_to_size(cls);
    uint64_t span = uint64_t{class_slices(cls)} << kSliceShift;
    uint64_t cap = span / bs;
    uint64_t m = blk_mul_for(bs), e = blk_step(bs);
    ASSERT_GE(e, 1u) << "class " << cls;
    ASSERT_LE(e, bs) << "class " << cls;
    for (uint64_t carved : {uint64_t{0}, uint64_t{1}, cap / 2, cap - 1, cap}) {
      uint64_t limit = carved * e;
      auto expect = [&](uint64_t off) { return off % bs == 0 && off / bs < carved; };
      for (uint64_t off = 0; off < span; off += 16)
        ASSERT_EQ(off * m < limit, expect(off)) << "class " << cls << " carved " << carved << " off " << off;
      for (uint64_t q = 0; q < cap; q += 1 + cap / 97)
        for (uint64_t d = 1; d < 16; ++d) {
          uint64_t off = q * bs + d;
          ASSERT_FALSE(off * m < limit) << "class " << cls << " off " << off;
        }
    }
  }
}

}  // namespace
}  // namespace hm

// HAKMEM_PAGE_COLOR=1 (read at start-up, so in a re-executed child): pages of a class whose size
// is no power of two start their blocks at more than one offset into their spans, blocks of a
// power-of-two class stay aligned to their size, an address in the offset before a page's first
// block is no block, and the heap passes the full invariant walk (INV-SEGMENT-4 allows the offset).
TEST(PageColorTest, SpansStartTheirBlocksAtSpreadOffsets) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  setenv("HAKMEM_PAGE_COLOR", "1", 1);
  EXPECT_EXIT(
      {
        std::vector<void*> v;
        std::set<uintptr_t> offsets;
        for (int i = 0; i < 400; ++i) {
          auto* p = static_cast<unsigned char*>(hm_malloc(5000));  // a 5120-byte class: 4 KiB over per slice
          p[0] = p[4999] = 1;
          v.push_back(p);
          const hm::Page* pg = hm::page_of(reinterpret_cast<uintptr_t>(p));
          uintptr_t start = reinterpret_cast<uintptr_t>(pg->start);
          offsets.insert(start & (hm::kSliceSize - 1));
          if (start > (start & ~(hm::kSliceSize - 1)) && hm::page_is_block(pg, start - 64)) _exit(11);
        }
        if (offsets.size() < 2) _exit(10);
        for (int i = 0; i < 64; ++i) {
          void* q = hm_malloc(4096);
          if (reinterpret_cast<uintptr_t>(q) % 4096 != 0) _exit(12);
          v.push_back(q);
        }
        for (size_t i = 0; i < v.size(); i += 2) hm_free(v[i]);
        hm_check_result c;
        if (hm_check_all(2, &c) != 0) _exit(13);
        for (size_t i = 1; i < v.size(); i += 2) hm_free(v[i]);
        _exit(0);
      },
      testing::ExitedWithCode(0), "");
  unsetenv("HAKMEM_PAGE_COLOR");
}

namespace {
// The child of ValueTwoColoursEveryClass: exits 0 when every check holds.
[[noreturn]] void colour_every_class() {
  std::vector<void*> v;
  for (size_t size : {size_t{48}, size_t{512}}) {
    std::set<uintptr_t> offsets;
    for (int i = 0; i < 40000 && offsets.size() < 2; ++i) {
      auto* p = static_cast<unsigned char*>(hm_malloc(size));
      p[0] = p[size - 1] = 1;
      v.push_back(p);
      if (size == 512 && reinterpret_cast<uintptr_t>(p) % 512 != 0) _exit(12);
      const hm::Page* pg = hm::page_of(reinterpret_cast<uintptr_t>(p));
      uintptr_t start = reinterpret_cast<uintptr_t>(pg->start), span = start & ~(hm::kSliceSize - 1);
      size_t bytes = size_t{pg->slices} << hm::kSliceShift;
      if (pg->capacity != (bytes - (start - span)) / pg->block_size) _exit(14);
      offsets.insert(start - span);
    }
    if (offsets.size() < 2) _exit(10);
  }
  for (size_t i = 0; i < v.size(); i += 2) hm_free(v[i]);
  hm_check_result c;
  if (hm_check_all(2, &c) != 0) _exit(13);
  for (size_t i = 1; i < v.size(); i += 2) hm_free(v[i]);
  _exit(0);
}
}  // namespace

// HAKMEM_PAGE_COLOR=2: every class is coloured, power-of-two ones in steps of their size. A 48-byte
// class (16 bytes over per slice: value 1 leaves it alone) and a 512-byte one start their blocks at
// several offsets, the 512-byte blocks stay aligned, each page holds every block that fits after its
// offset, and the heap passes the full invariant walk (INV-SEGMENT-4 and the page geometry allow it).
TEST(PageColorTest, ValueTwoColoursEveryClass) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  setenv("HAKMEM_PAGE_COLOR", "2", 1);
  EXPECT_EXIT(colour_every_class(), testing::ExitedWithCode(0), "");
  unsetenv("HAKMEM_PAGE_COLOR");
}
