#include "sizeclass/sizeclass.h"

#include <gtest/gtest.h>

namespace hm {
namespace {

TEST(SizeClass, EveryRequestGetsTheTightestClass) {
  for (size_t n = 1; n <= kMaxSmall; ++n) {
    unsigned c = size_to_class(n);
    ASSERT_LT(c, kClassCount) << n;
    ASSERT_GE(class_to_size(c), n) << n;
    if (c > 0) ASSERT_LT(class_to_size(c - 1), n) << n;
  }
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

TEST(SizeClass, EveryPowerOfTwoIsAClass) {
  for (size_t p = 16; p <= kMaxSmall; p *= 2) EXPECT_EQ(class_to_size(size_to_class(p)), p);
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
