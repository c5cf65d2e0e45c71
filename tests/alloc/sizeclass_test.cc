#include "sizeclass/sizeclass.h"
#include "sizeclass/inspect.h"

#include <gtest/gtest.h>

#include <set>

namespace hm {
namespace {

// The mapping the process started with, restored after a test switches it.
struct Mapping : testing::Test {
  bool coarse = size_to_class(300) != sizeclass_detail::step_class(300);
  unsigned fine = class_to_size(size_to_class(1025)) == 1088 ? 2 : class_to_size(size_to_class(1025)) == 1152 ? 1 : 0;
  void TearDown() override { sizeclass_init(coarse, fine); }
};

TEST_F(Mapping, EveryRequestGetsTheTightestClass) {
  sizeclass_init(false, 2);
  for (size_t n = 1; n <= kMaxSmall; ++n) {
    unsigned c = size_to_class(n);
    ASSERT_LT(c, kClassCount) << n;
    ASSERT_GE(class_to_size(c), n) << n;
    if (c > 0) ASSERT_LT(class_to_size(c - 1), n) << n;
  }
}

TEST_F(Mapping, CoarseClassesAreEverySixteenBytesTo256ThenFourPerDoubling) {
  sizeclass_init(true, 2);
  std::set<size_t> sizes;
  for (size_t n = 1; n <= kMaxSmall; ++n) {
    unsigned c = size_to_class(n);
    ASSERT_GE(class_to_size(c), n) << n;
    ASSERT_EQ(size_to_class(class_to_size(c)), c) << n;  // a class in use maps to itself
    if (n <= kFastMax) sizes.insert(class_to_size(c));
    if (n > kFastMax) ASSERT_EQ(c, sizeclass_detail::step_class(n)) << n;  // unchanged above 1 KiB
  }
  std::set<size_t> want;
  for (size_t s = 16; s <= 256; s += 16) want.insert(s);
  for (size_t s : {320, 384, 448, 512, 640, 768, 896, 1024}) want.insert(s);
  EXPECT_EQ(sizes, want);
  for (size_t n = 1; n <= kFastMax; ++n) ASSERT_LE(class_to_size(size_to_class(n)) * 4, n * 5 + 60) << n;
}

TEST(SizeClass, ClassesIncreaseAndAreSixteenByteMultiples) {
  for (unsigned c = 1; c < kClassCount; ++c) {
    EXPECT_GT(class_to_size(c), class_to_size(c - 1));
    EXPECT_EQ(class_to_size(c) % 16, 0u);
  }
}

TEST_F(Mapping, WasteIsBoundedAboveOneKiB) {
  for (unsigned fine : {2u, 1u, 0u}) {
    sizeclass_init(false, fine);
    for (size_t n = kFastMax + 1; n <= kMaxSmall; ++n) {  // at most 6.25% to 2 KiB, 12.5% to 8 KiB, or 25%
      unsigned per = n > kFineMax || fine == 0 ? 4 : fine == 2 && n <= 2048 ? 16 : 8;
      ASSERT_LE(class_to_size(size_to_class(n)) * per, n * (per + 1) + per) << n << " " << fine;
      ASSERT_LT(class_to_size(size_to_class(n)) * per, (n + class_to_size(size_to_class(n)) / per) * (per + 1))
          << "no tighter bound than the level's own: " << n << " " << fine;
    }
  }
}

// Four per doubling above 1 KiB: every fourth class to 2 KiB, every other to 8 KiB, every class above.
TEST_F(Mapping, FourPerDoublingAboveOneKiBWithoutFineClasses) {
  sizeclass_init(false, 0);
  std::set<size_t> sizes;
  for (size_t n = kFastMax + 1; n <= kMaxSmall; ++n) {
    unsigned c = size_to_class(n);
    unsigned low = n <= 2048 ? 3u : n <= kFineMax ? 1u : 0u;
    ASSERT_EQ(c, sizeclass_detail::step_class(n) | low) << n;
    ASSERT_GE(class_to_size(c), n) << n;
    sizes.insert(class_to_size(c));
  }
  std::set<size_t> want;
  for (size_t p = 1024; p < kMaxSmall; p *= 2)
    for (size_t q : {5, 6, 7, 8}) want.insert(p / 4 * q);
  EXPECT_EQ(sizes, want);
  EXPECT_EQ(class_to_size(size_to_class(1032)), 1280u);
  sizeclass_init(false, 1);
  EXPECT_EQ(class_to_size(size_to_class(1032)), 1152u);
  EXPECT_EQ(class_to_size(size_to_class(4104)), 4608u);
  std::set<size_t> eight;
  for (size_t n = kFastMax + 1; n <= kMaxSmall; ++n) eight.insert(class_to_size(size_to_class(n)));
  EXPECT_EQ(eight.size(), want.size() + 12) << "four more classes per doubling from 1 to 8 KiB";
  sizeclass_init(false, 2);
  EXPECT_EQ(class_to_size(size_to_class(1032)), 1088u);  // a 1 KiB buffer with an 8-byte header
  EXPECT_EQ(class_to_size(size_to_class(4104)), 4608u);
  std::set<size_t> all;
  for (size_t n = kFastMax + 1; n <= kMaxSmall; ++n) all.insert(class_to_size(size_to_class(n)));
  EXPECT_EQ(all.size(), eight.size() + 8) << "eight more classes from 1 to 2 KiB";
  EXPECT_EQ(all.size() + kFastClasses, size_t{kClassCount}) << "every class in use";
}

TEST_F(Mapping, EveryPowerOfTwoIsAClassInEveryMapping) {
  for (bool coarse : {false, true})
    for (unsigned fine : {0u, 1u, 2u}) {
      sizeclass_init(coarse, fine);
      for (size_t p = 16; p <= kMaxSmall; p *= 2) EXPECT_EQ(class_to_size(size_to_class(p)), p) << coarse << fine;
    }
}

TEST(SizeClass, AlignedClassIsAPowerOfTwoCoveringSizeAndAlignment) {
  for (size_t align = 32; align <= 65536; align *= 2) {
    for (size_t n : {size_t{1}, size_t{17}, align - 1, align, align + 1, size_t{3000}}) {
      unsigned c = aligned_class(n, align);
      if (c == kClassCount) {
        EXPECT_GT(n > align ? n : align, size_t{65536});
        continue;
      }
      size_t s = class_to_size(c);
      EXPECT_GE(s, n);
      EXPECT_EQ(s % align, 0u);
      EXPECT_EQ(s & (s - 1), 0u);
    }
  }
}

TEST(SizeClass, SpansFitASegment) {
  for (unsigned c = 0; c < kClassCount; ++c) {
    unsigned s = class_slices(c);
    EXPECT_GE(s, 1u);
    EXPECT_LE(s, kSlicesPerSegment - 1);
    EXPECT_GE(s * kSliceSize / class_to_size(c), 8u) << c;
  }
}

}  // namespace
}  // namespace hm
