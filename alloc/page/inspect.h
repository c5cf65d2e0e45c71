// page box inspection header: what its checker (invariants/page_check.cc) and tests see beyond
// page.h -- the block-test constants a page's fields are built from, and the process secret the
// cookies are made of.
#pragma once

#include "page/page.h"

namespace hm {

// The block test: one multiply and one compare tell whether an offset into the span is the
// start of a carved block. With m = floor(2^64 / size) + 1 and e = m * size mod 2^64
// (1 <= e <= size), an offset q * size + r (r < size, offset < 2^32) gives
// offset * m mod 2^64 = q * e when r == 0, and at least m > 2^32 otherwise; so
// offset * m < carved * e exactly when r == 0 and q < carved.
HM_FAST_PATH constexpr uint64_t blk_mul_for(uint64_t size) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(1) << 64) / size) + 1;
}
HM_FAST_PATH constexpr uint64_t blk_step(uint64_t size) { return blk_mul_for(size) * size; }

namespace page_detail {
extern uintptr_t g_secret;
}  // namespace page_detail

}  // namespace hm
