// Fuzz harness of the sizeclass box: sizeclass_init (the input's first byte picks the mapping),
// size_to_class, class_to_size, class_count, aligned_class on input-chosen sizes and
// alignments, checked against the reference properties (smallest class in use that fits,
// 16-byte steps to 1 KiB -- four per doubling above 256 bytes in coarse mode -- at most 6.25%
// waste to 2 KiB and 12.5% to 8 KiB at fine level 2, 12.5% to 8 KiB at level 1, 25% at level 0
// and above, power-of-two classes for aligned requests).
#include "fuzz_common.h"
#include "sizeclass/sizeclass.h"

using namespace hm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  uint8_t mode = in.u8();
  bool coarse = mode & 1;
  unsigned fine = 2 - (mode >> 1) % 3;  // 2 (the default), 1 or 0
  sizeclass_init(coarse, fine);
  while (in.more()) {
    size_t n = 1 + in.u32() % kMaxSmall;
    unsigned c = size_to_class(n);
    HM_FUZZ_CHECK(c < class_count());
    size_t s = class_to_size(c);
    HM_FUZZ_CHECK(s >= n);
    size_t step = !coarse || s <= 256 ? 16 : s <= 512 ? 64 : 128;  // the mapping's steps to 1 KiB
    // Above 1 KiB: the classes per doubling in use around n, and the classes per doubling there.
    size_t per = n > kFineMax || fine == 0 ? 4 : fine == 2 && n <= 2048 ? 16 : 8;
    size_t all = n > kFineMax ? 4 : n > 2048 ? 8 : 16;
    HM_FUZZ_CHECK(n > 1024 ? class_to_size(c - static_cast<unsigned>(all / per)) < n : s - n < step && s % step == 0);
    HM_FUZZ_CHECK(n > 1024 ? (s - n) * per <= n : true);
    HM_FUZZ_CHECK(size_to_class(s) == c);
    unsigned sl = class_slices(c);
    HM_FUZZ_CHECK(sl >= 1 && sl < kSlicesPerSegment && (size_t{sl} << kSliceShift) >= (s <= 8192 ? s : 8 * s));
    size_t align = size_t{1} << (5 + in.u8() % 14);
    unsigned a = aligned_class(n, align);
    size_t want = n > align ? n : align;
    if (want > (size_t{64} << 10)) {
      HM_FUZZ_CHECK(a == class_count());
    } else {
      HM_FUZZ_CHECK(a < class_count());
      size_t as = class_to_size(a);
      HM_FUZZ_CHECK(as >= want && as % align == 0 && (as & (as - 1)) == 0 && as < 2 * want);
    }
    hm_fuzz::check_invariants("sizeclass");
  }
  return 0;
}
