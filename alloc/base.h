// Shared vocabulary of every box: attributes and the address-space geometry.
// Not a box: no state, no functions. Every box may include it.
#pragma once

#include <cstddef>
#include <cstdint>

#define HM_FAST_PATH inline __attribute__((always_inline))
#define HM_SLOW_PATH __attribute__((noinline))
#define HM_COLD __attribute__((noinline, cold))
#define HM_LIKELY(x) __builtin_expect(!!(x), 1)
#define HM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HM_TLS __attribute__((tls_model("initial-exec")))
#define HM_HIDDEN __attribute__((visibility("hidden")))
// A prefetch that asks for the line to write it (PREFETCHW on x86-64, which every 64-bit x86
// core runs, those before it as a no-op): a line another core last wrote then arrives owned, not
// shared, and the store that follows needs no second trip. __builtin_prefetch(p, 1, 3) emits a
// read prefetch on x86-64 unless the build targets PRFCHW. Any address may be given: a prefetch
// never faults.
#if defined(__x86_64__)
#define HM_PREFETCH_W(p) __asm__ volatile("prefetchw (%0)" ::"r"(p))
#else
#define HM_PREFETCH_W(p) __builtin_prefetch((p), 1, 3)
#endif
// HM_DEMOTE(p): a hint that p's line moves from this core's private caches to the shared one,
// where another core reads or writes it sooner. CLDEMOTE executes as a no-op where unsupported.
#if defined(__x86_64__)
#define HM_DEMOTE(p) __asm__ volatile("cldemote (%0)" ::"r"(p) : "memory")
#else
#define HM_DEMOTE(p) ((void)(p))
#endif

namespace hm {

// A segment is 4 MiB, aligned to 4 MiB, cut into 64 slices of 64 KiB.
// Slice 0 holds the segment header; page spans start on slice boundaries.
inline constexpr unsigned kSegmentShift = 22;
inline constexpr size_t kSegmentSize = size_t{1} << kSegmentShift;
inline constexpr uintptr_t kSegmentMask = kSegmentSize - 1;
inline constexpr unsigned kSliceShift = 16;
inline constexpr size_t kSliceSize = size_t{1} << kSliceShift;
inline constexpr unsigned kSlicesPerSegment = kSegmentSize / kSliceSize;

// Every block is at least 16 bytes and 16-byte aligned.
inline constexpr size_t kMinAlign = 16;
// User-space addresses covered by the segment map (47-bit canonical space).
inline constexpr unsigned kAddressBits = 47;

// The index of x's highest set bit (x > 0).
HM_FAST_PATH constexpr unsigned floor_log2(size_t x) { return 63u - static_cast<unsigned>(__builtin_clzll(x)); }

}  // namespace hm
