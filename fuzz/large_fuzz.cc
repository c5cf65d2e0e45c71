// Fuzz harness of the large box: large_alloc / large_calloc / large_free of input-chosen sizes
// and alignments, large_realloc of live ones to new sizes (the bytes kept), large_lookup
// (large_header_of) of block starts, interiors and freed blocks, large_usable, large_cache_trim, large_purge_idle, and the cache bound (bytes equal the sum of entries, within
// the limit). After each operation the block it made or freed and the cache bound are
// checked; every live block (lookups of its start and an interior, alignment, usable size,
// fill) and the checkers are walked on the cadence and at the end.
#include <vector>

#include "config/config.h"
#include "fuzz_common.h"
#include "fuzz_crew.h"
#include "large/large.h"

using namespace hm;

namespace {
constexpr long kCacheMb = 8;
struct Blk {
  void* p;
  size_t size, align;
  uint8_t seed;
};
void check_live(const Blk& b, size_t interior) {
  auto u = reinterpret_cast<uintptr_t>(b.p);
  LargeHeader* h = nullptr;
  HM_FUZZ_CHECK(large_lookup(u, &h) == LargeLookup::kOk);
  HM_FUZZ_CHECK(u % b.align == 0 && large_usable(h) >= b.size && h->requested == b.size);
  HM_FUZZ_CHECK(*large_guard_word(u) == (kLargeGuard ^ u));  // the word the front checks for underflow
  HM_FUZZ_CHECK(hm_fuzz::check(b.p, b.size, b.seed));
  LargeHeader* d = nullptr;
  HM_FUZZ_CHECK(large_lookup(u + 16 + interior % (b.size - 16), &d) != LargeLookup::kOk);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  // The cache's byte bound (HAKMEM_LARGE_CACHE_MB) scaled to the blocks below: 8 MiB instead of
  // 64, so a few frees fill it as a few of the 16 MiB blocks this harness once made filled 64.
  config_detail::g_config.large_cache_mb = kCacheMb;
  std::vector<Blk> live;
  hm_fuzz::Cadence cadence;
  // The box's counters move by exactly this input's allocations and frees (one thread).
  uint64_t allocs0 = large_counters().allocs.load(), frees0 = large_counters().frees.load(), allocs = 0, frees = 0;
  auto walk = [&] {
    for (const Blk& b : live) check_live(b, in.u16());
    hm_fuzz::check_invariants("large");
  };
  while (in.more() && live.size() < 48) {
    uint8_t op = in.u8();
    if (op % 29 == 27) {  // the fork protocol's lock: the next allocation or free would hang if it stayed held
      large_lock_all();
      large_unlock_all();
    } else if (op % 29 == 28) {  // trim: every cached mapping goes back, the live blocks stay
      size_t cached = large_cache_for_each([](LargeHeader*, void*) {}, nullptr, nullptr);
      HM_FUZZ_CHECK(large_cache_trim() == cached && large_cache_trim() == 0);
    } else if (op % 29 == 26) {  // idle purge: pages go back, the cached mappings stay
      size_t cached = large_cache_for_each([](LargeHeader*, void*) {}, nullptr, nullptr);
      large_purge_idle();
      HM_FUZZ_CHECK(large_cache_for_each([](LargeHeader*, void*) {}, nullptr, nullptr) == cached);
    } else if (op % 3 != 2) {
      // Mostly up to 640 KiB; one in sixteen up to 8 MiB (over two 4 MiB units, the cache
      // bound). A block costs its size: ASan's shadow of it is written when it is cached
      // (poisoned) and again when it is reused or unmapped, its shadow pages faulted in each
      // time, and a calloc of a cached mapping zeroes all of it.
      size_t n = (size_t{128} << 10) + 1 + in.u32() % ((op & 120) == 120 ? (size_t{8} << 20) : (size_t{512} << 10));
      size_t align = size_t{1} << (4 + in.u8() % 20);
      bool zero = op % 7 == 0;
      void* p = zero ? large_calloc(n) : large_alloc(n, align, (op & 24) == 24);  // growing: as realloc's copy
      HM_FUZZ_CHECK(p != nullptr);
      ++allocs;
      if (zero) {
        HM_FUZZ_CHECK(hm_fuzz::zero_ok(p, 1024) && hm_fuzz::zero_ok(static_cast<char*>(p) + n - 1024, 1024));
      }
      uint8_t seed = in.u8();
      hm_fuzz::fill(p, n, seed);
      live.push_back({p, n, zero ? 16 : align, seed});
      check_live(live.back(), in.u16());
    } else if (!live.empty() && (op & 64)) {  // realloc: no copy, the bytes up to the smaller size kept
      Blk& b = live[in.u16() % live.size()];
      LargeHeader* h = nullptr;
      HM_FUZZ_CHECK(large_lookup(reinterpret_cast<uintptr_t>(b.p), &h) == LargeLookup::kOk);
      size_t n = (size_t{128} << 10) + 1 + in.u32() % ((op & 120) == 120 ? (size_t{8} << 20) : (size_t{1} << 20));
      void* q = large_realloc(h, n);
      if (!q) {  // refused: a block starting a unit of its own, or a growth a resident cached mapping would take
        HM_FUZZ_CHECK(b.align >= kSegmentSize || n > large_usable(h));
        check_live(b, in.u16());
      } else {
        HM_FUZZ_CHECK(hm_fuzz::check(q, n < b.size ? n : b.size, b.seed, b.size));
        HM_FUZZ_CHECK(reinterpret_cast<uintptr_t>(q) % b.align == 0);
        hm_fuzz::fill(q, n, b.seed);  // the fill's tail moves with the size
        b.p = q, b.size = n;
        check_live(b, in.u16());
      }
    } else if (!live.empty()) {
      size_t i = in.u16() % live.size();
      Blk b = live[i];
      live.erase(live.begin() + static_cast<long>(i));
      LargeHeader* h = nullptr;
      HM_FUZZ_CHECK(large_lookup(reinterpret_cast<uintptr_t>(b.p), &h) == LargeLookup::kOk);
      HM_FUZZ_CHECK(hm_fuzz::check(b.p, b.size, b.seed));
      large_free(h);
      ++frees;
      LargeHeader* d = nullptr;
      LargeLookup after = large_lookup(reinterpret_cast<uintptr_t>(b.p), &d);
      HM_FUZZ_CHECK(after == LargeLookup::kFreed || after == LargeLookup::kNotOurs);
    }
    size_t entries = 0, sum = 0, bound = 0;
    size_t bytes = large_cache_for_each([](LargeHeader* h, void* a) { *static_cast<size_t*>(a) += h->map_size; },
                                        &sum, &entries, &bound);
    HM_FUZZ_CHECK(bytes == sum && bytes <= bound && entries <= 32);
    if (cadence.due()) walk();
  }
  walk();
  HM_FUZZ_CHECK(large_counters().allocs.load() - allocs0 == allocs && large_counters().frees.load() - frees0 == frees);
  for (const Blk& b : live) {
    LargeHeader* h = nullptr;
    HM_FUZZ_CHECK(large_lookup(reinterpret_cast<uintptr_t>(b.p), &h) == LargeLookup::kOk);
    large_free(h);
  }
  return 0;
}
