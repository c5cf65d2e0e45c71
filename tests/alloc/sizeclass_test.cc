#include "sizeclass/sizeclass.h"
#include "sizeclass/inspect.h"

#include <gtest/gtest.h>

#include <set>

namespace hm {
namespace {

// The mapping the process started with, restored after a test switches it.
struct Mapping : testing::Test {
  bool was = size_to_class(300) != sizeclass_detail::step_class(300);
  void TearDown() override { sizeclass_init(was); }
};

TEST_F(Mapping, EveryRequestGetsTheTightestClass) {
  sizeclass_init(false);
  for (size_t n = 1; n <= kMaxSmall; ++n) {
    unsigned c = size_to_class(n);
    ASSERT_LT(c, kClassCount) << n;
    ASSERT_GE(class_to_size(c), n) << n;
    if (c > 0) ASSERT_LT(class_to_size(c - 1), n) << n;
  }
}

TEST_F(Mapping, CoarseClassesAreEverySixteenBytesTo256ThenFourPerDoubling) {
  sizeclass_init(true);
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

TEST(SizeClass, WasteIsBounded) {
  for (size_t n = kFastMax + 1; n <= kMaxSmall; ++n) {
    ASSERT_LE(class_to_size(size_to_class(n)) * 4, n * 5 + 4) << n;  // at most 25% over
  }
}

TEST_F(Mapping, EveryPowerOfTwoIsAClassInEitherMapping) {
  for (bool coarse : {false, true}) {
    sizeclass_init(coarse);
    for (size_t p = 16; p <= kMaxSmall; p *= 2) EXPECT_EQ(class_to_size(size_to_class(p)), p) << coarse;
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
