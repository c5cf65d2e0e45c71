// alloc/front/redzone.cc: checked mode's redzones. The tail past a block's requested size is
// checked a word at a time between its unaligned ends: every byte written over is named, at any
// alignment of the tail and of the byte, the first one when several are.
#include <gtest/gtest.h>

#include <cstdint>

#include "front/inspect.h"
#include "hakmem/hakmem.h"
#include "page/page.h"
#include "sizeclass/sizeclass.h"

namespace {

using namespace hm;

TEST(Redzone, EveryTailByteWrittenOverIsNamed) {
  for (size_t n : {1u, 7u, 8u, 13u, 40u, 100u, 1000u, 5000u, 100000u}) {
    size_t size = class_to_size(size_to_class(n + kRedHead + kRedTail));
    void* b = hm_malloc(size);
    ASSERT_NE(b, nullptr);
    auto* blk = static_cast<Block*>(b);
    auto* user = static_cast<uint8_t*>(redzone_wrap(b, n, size));
    registry::ErrorId kind;
    ASSERT_EQ(redzone_bad(blk, user, &kind), nullptr) << n;
    size_t tail = size - kRedHead - n;
    for (size_t i = 0; i < tail; ++i) {
      user[n + i] ^= 0x40;
      EXPECT_EQ(redzone_bad(blk, user, &kind), user + n + i) << "n " << n << " tail byte " << i;
      EXPECT_EQ(kind, registry::ErrorId::heap_overflow);
      if (i + 9 < tail) {  // a second one further on: the first is named
        user[n + i + 9] ^= 0x01;
        EXPECT_EQ(redzone_bad(blk, user, &kind), user + n + i) << "n " << n << " tail byte " << i;
        user[n + i + 9] ^= 0x01;
      }
      user[n + i] ^= 0x40;
    }
    ASSERT_EQ(redzone_bad(blk, user, &kind), nullptr) << n;
    hm_free(b);
  }
}

}  // namespace
