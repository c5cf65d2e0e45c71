// Deterministic pseudo-random numbers for the workloads: splitmix64 seeding a
// xorshift64* stream. Same seed, same sequence, on every allocator.
#pragma once

#include <cstdint>

namespace hmb {

inline uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t s = seed;
    state_ = splitmix64(s) | 1;  // xorshift state must be non-zero
  }
  uint64_t next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545f4914f6cdd1dull;
  }
  // Uniform in [0, n) from 32 random bits (multiply-shift, no division).
  static uint32_t below(uint32_t bits, uint32_t n) {
    return static_cast<uint32_t>((static_cast<uint64_t>(bits) * n) >> 32);
  }
  uint32_t below(uint32_t n) { return below(static_cast<uint32_t>(next() >> 32), n); }
  // Uniform in [lo, hi].
  uint32_t range(uint32_t lo, uint32_t hi) { return lo + below(hi - lo + 1); }

 private:
  uint64_t state_;
};

}  // namespace hmb
