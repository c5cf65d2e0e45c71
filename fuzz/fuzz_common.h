// Shared helpers of the libFuzzer harnesses (fuzz/<box>_fuzz.cc).
//
// Each harness reads its input as an operation stream: one opcode byte, then the operands
// the opcode needs, until the input runs out (missing bytes read as zero). Every check that
// fails prints what broke and aborts, which libFuzzer records as a crash.
#pragma once

#include <fcntl.h>
#include <setjmp.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>

#include "hakmem/check.h"
#include "report/report.h"
#include "report/inspect.h"

namespace hm_fuzz {

// A report of the allocator (a misuse or a broken invariant it caught itself) ends by raising
// SIGABRT with the default action, past libFuzzer's handler: the run died without saving the
// input. In a harness the report ends in abort() instead, which libFuzzer catches like any
// failed check, saving the input as a crash.
[[noreturn]] inline void report_crash() { std::abort(); }
inline const bool kReportsCrashTheFuzzer = (hm::report::report_set_exit_for_test(&report_crash), true);

// Runs fn with stderr sent to a pipe and the report's exit seam set to longjmp back here;
// returns what was written and (*ended) whether a report ended through the seam. Afterwards a
// report aborts again (report_crash).
inline jmp_buf g_report_back;
[[noreturn]] inline void report_back() { longjmp(g_report_back, 1); }
template <class F>
std::string capture_report(F fn, bool* ended) {
  int pfd[2];
  if (pipe2(pfd, O_NONBLOCK) != 0) std::abort();
  std::fflush(stderr);
  int saved = dup(2);
  dup2(pfd[1], 2);
  close(pfd[1]);
  hm::report::report_set_exit_for_test(report_back);
  volatile bool back = false;
  if (setjmp(g_report_back) == 0) fn();
  else back = true;
  hm::report::report_set_exit_for_test(report_crash);
  dup2(saved, 2);
  close(saved);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(pfd[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(pfd[0]);
  *ended = back;
  return out;
}

// Runs a misuse the allocator must catch: its report must end through the report's exit seam (a
// longjmp back here, before the allocator changed anything) and name one of the kinds given.
template <class F>
void expect_report(F misuse, std::initializer_list<const char*> kinds) {
  bool ended = false;
  std::string out = capture_report(misuse, &ended);
  bool named = false;
  for (const char* k : kinds) named = named || out.find("\"kind\":\"" + std::string(k) + "\"") != std::string::npos;
  if (!ended || !named) std::fprintf(stderr, "%s\nexpected a report naming %s\n", out.c_str(), *kinds.begin());
  if (!ended || !named) std::abort();
}

class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool more() const { return p_ < end_; }
  uint8_t u8() { return p_ < end_ ? *p_++ : 0; }
  uint8_t peek() const { return p_ < end_ ? *p_ : 0; }  // the next u8(), not consumed
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return static_cast<uint32_t>(u16() | (uint32_t{u16()} << 16)); }
  uint64_t u64() { return u32() | (uint64_t{u32()} << 32); }
  // n bytes of the input (fewer at its end) as a string.
  size_t bytes(char* out, size_t n) {
    size_t k = 0;
    while (k < n && p_ < end_) out[k++] = static_cast<char>(*p_++);
    return k;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

[[noreturn]] inline void fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
  std::abort();
}
#define HM_FUZZ_CHECK(cond) \
  do {                      \
    if (!(cond)) ::hm_fuzz::fail(__FILE__, __LINE__, #cond); \
  } while (0)

// Runs the allocator's invariant checkers (invariants/, hakmem/check.h) at level 2 after every
// operation: those of the box under test, or all of them (box == nullptr).
inline void check_invariants(const char* box = nullptr) {
  hm_check_result r{};
  int n = box ? hm_check_box(box, 2, &r) : hm_check_all(2, &r);
  if (n != 0) {
    std::fprintf(stderr, "invariant %s broken in box %s: %s at %p (expected %s, found %s)\n", r.id ? r.id : "?",
                 r.box ? r.box : "?", r.text ? r.text : "", r.addr, r.expected, r.found);
    std::abort();
  }
}

inline uint8_t pattern(uint8_t seed, size_t i) { return static_cast<uint8_t>(seed + i * 31 + (i >> 8)); }

// Fills blocks completely up to 2 KiB; larger ones in their first and last 1 KiB.
inline constexpr size_t kFull = 2048, kEdge = 1024;

// The fill and its check touch every byte of a block, which makes them the cost of an input:
// they copy or compare slices of a table of the pattern, built once outside ASan's and the
// fuzzer's instrumentation (it guides nothing), with memcpy / memcmp, which ASan checks as one
// range each (a poisoned byte of the block is still reported).
#if defined(__clang__)
#define HM_FUZZ_PLAIN __attribute__((no_sanitize("address", "undefined", "coverage"), noinline))
#else
#define HM_FUZZ_PLAIN
#endif
// A harness's model checks: still under ASan and UBSan, but out of coverage tracing -- their
// comparisons run over the whole model after every operation and guide nothing (a check that
// fails aborts the input anyway), as the invariant checkers (fuzz/coverage_ignore.txt).
#if defined(__clang__)
#define HM_FUZZ_UNTRACED __attribute__((no_sanitize("coverage"), noinline))
#else
#define HM_FUZZ_UNTRACED
#endif
// pattern(seed, i) = c + 31 * (i % 256) with c = seed + i / 256, so pattern(seed, 256 q + r) =
// pattern(seed + q, r): a run of up to kFull bytes of a fill, from any offset, is a slice of one
// row of this table (row c holds pattern(c, j) for j < kFull + 256), and a fill or check of up to
// 2 KiB is one memcpy / memcmp (one ASan range check of the block) with no pattern computed.
inline constexpr size_t kRow = 2048 + 256;
HM_FUZZ_PLAIN inline const uint8_t* pattern_run(uint8_t seed, size_t from) {
  static const struct Rows {
    uint8_t v[256][kRow];
    Rows() {
      for (unsigned c = 0; c < 256; ++c)
        for (unsigned j = 0; j < kRow; ++j) v[c][j] = static_cast<uint8_t>(c + j / 256 + 31 * (j % 256));
    }
  } rows;
  return rows.v[static_cast<uint8_t>(seed + (from >> 8))] + (from & 255);
}
inline bool range_ok(const void* p, size_t from, size_t len, uint8_t seed) {
  for (size_t c; len; from += c, len -= c) {
    c = len < 2048 ? len : 2048;
    if (std::memcmp(static_cast<const uint8_t*>(p) + from, pattern_run(seed, from), c) != 0) return false;
  }
  return true;
}
inline void range_fill(void* p, size_t from, size_t len, uint8_t seed) {
  for (size_t c; len; from += c, len -= c) {
    c = len < 2048 ? len : 2048;
    std::memcpy(static_cast<uint8_t*>(p) + from, pattern_run(seed, from), c);
  }
}
inline constexpr size_t kChunk = 512;

// Whether n bytes at p are all zero (calloc's contract), compared a chunk at a time.
inline bool zero_ok(const void* p, size_t n) {
  static const uint8_t zeros[kChunk] = {};
  for (size_t c, at = 0; at < n; at += c) {
    c = n - at < kChunk ? n - at : kChunk;
    if (std::memcmp(static_cast<const uint8_t*>(p) + at, zeros, c) != 0) return false;
  }
  return true;
}

inline void fill(void* p, size_t n, uint8_t seed) {
  if (n <= kFull) return range_fill(p, 0, n, seed);
  range_fill(p, 0, kEdge, seed);
  range_fill(p, n - kEdge, kEdge, seed);
}
// Checks the first len bytes of a block fill() filled with n bytes.
inline bool check(const void* p, size_t len, uint8_t seed, size_t n) {
  if (n <= kFull) return range_ok(p, 0, len, seed);
  if (!range_ok(p, 0, len < kEdge ? len : kEdge, seed)) return false;
  return len <= n - kEdge || range_ok(p, n - kEdge, len - (n - kEdge), seed);
}
inline bool check(const void* p, size_t n, uint8_t seed) { return check(p, n, seed, n); }

// A canary word after the requested bytes of a block, when the usable size leaves room.
inline constexpr uint64_t kCanary = 0xc0ffee0ddba11ad5ull;
inline void put_canary(void* p, size_t size, size_t usable) {
  if (usable >= size + 8) std::memcpy(static_cast<char*>(p) + size, &kCanary, 8);
}
inline bool canary_ok(const void* p, size_t size, size_t usable) {
  if (usable < size + 8) return true;
  uint64_t v;
  std::memcpy(&v, static_cast<const char*>(p) + size, 8);
  return v == kCanary;
}

}  // namespace hm_fuzz
