// Fuzz harness of the large box: large_alloc / large_calloc / large_free of input-chosen sizes
// and alignments, large_lookup (large_header_of) of block starts, interiors and freed blocks,
// large_usable, large_cache_trim, and the cache bound (bytes equal the sum of entries, within
// the limit).
#include <vector>

#include "config/config.h"
#include "fuzz_common.h"
#include "large/large.h"

using namespace hm;

namespace {
struct Blk {
  void* p;
  size_t size, align;
  uint8_t seed;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  std::vector<Blk> live;
  while (in.more() && live.size() < 48) {
    uint8_t op = in.u8();
    if (op % 29 == 28) {  // trim: every cached mapping goes back, the live blocks stay
      size_t cached = large_cache_for_each([](LargeHeader*, void*) {}, nullptr, nullptr);
      HM_FUZZ_CHECK(large_cache_trim() == cached && large_cache_trim() == 0);
    } else if (op % 3 != 2) {
      size_t n = (size_t{128} << 10) + 1 + in.u32() % (op & 8 ? (size_t{16} << 20) : (size_t{1} << 20));
      size_t align = size_t{1} << (4 + in.u8() % 20);
      bool zero = op % 7 == 0;
      void* p = zero ? large_calloc(n) : large_alloc(n, align);
      HM_FUZZ_CHECK(p != nullptr);
      if (zero) {
        auto* c = static_cast<const uint8_t*>(p);
        for (size_t i = 0; i < 1024; ++i) HM_FUZZ_CHECK(c[i] == 0 && c[n - 1 - i] == 0);
      }
      uint8_t seed = in.u8();
      hm_fuzz::fill(p, n, seed);
      live.push_back({p, n, zero ? 16 : align, seed});
    } else if (!live.empty()) {
      size_t i = in.u16() % live.size();
      Blk b = live[i];
      live.erase(live.begin() + static_cast<long>(i));
      LargeHeader* h = nullptr;
      HM_FUZZ_CHECK(large_lookup(reinterpret_cast<uintptr_t>(b.p), &h) == LargeLookup::kOk);
      HM_FUZZ_CHECK(hm_fuzz::check(b.p, b.size, b.seed));
      large_free(h);
      LargeHeader* d = nullptr;
      LargeLookup after = large_lookup(reinterpret_cast<uintptr_t>(b.p), &d);
      HM_FUZZ_CHECK(after == LargeLookup::kFreed || after == LargeLookup::kNotOurs);
    }
    for (const Blk& b : live) {
      auto u = reinterpret_cast<uintptr_t>(b.p);
      LargeHeader* h = nullptr;
      HM_FUZZ_CHECK(large_lookup(u, &h) == LargeLookup::kOk);
      HM_FUZZ_CHECK(u % b.align == 0 && large_usable(h) >= b.size && h->requested == b.size);
      HM_FUZZ_CHECK(hm_fuzz::check(b.p, b.size, b.seed));
      LargeHeader* d = nullptr;
      HM_FUZZ_CHECK(large_lookup(u + 16 + in.u16() % (b.size - 16), &d) != LargeLookup::kOk);
    }
    size_t entries = 0, sum = 0, bound = 0;
    size_t bytes = large_cache_for_each([](LargeHeader* h, void* a) { *static_cast<size_t*>(a) += h->map_size; },
                                        &sum, &entries, &bound);
    HM_FUZZ_CHECK(bytes == sum && bytes <= bound && entries <= 32);
    hm_fuzz::check_invariants("large");
  }
  for (const Blk& b : live) {
    LargeHeader* h = nullptr;
    HM_FUZZ_CHECK(large_lookup(reinterpret_cast<uintptr_t>(b.p), &h) == LargeLookup::kOk);
    large_free(h);
  }
  return 0;
}
