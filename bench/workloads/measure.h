// Shared pieces of every workload: the result record, the timed region
// (bracketed by callgrind instrumentation when running under valgrind, so
// `hakmem sbs --callgrind` counts only the workload's instructions) and the
// byte touch that makes every block really used.
#pragma once

#include <time.h>

#include <chrono>
#include <cstddef>
#include <cstdint>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HMB_REGION_BEGIN() CALLGRIND_START_INSTRUMENTATION
#define HMB_REGION_END() CALLGRIND_STOP_INSTRUMENTATION
#else
#define HMB_REGION_BEGIN() ((void)0)
#define HMB_REGION_END() ((void)0)
#endif

namespace hmb {

struct Result {
  uint64_t ops = 0;       // mallocs + frees (+ reallocs) performed in the timed region
  double seconds = 0.0;   // wall-clock time of the timed region
  double cpu_seconds = 0.0;  // CPU time of the whole process (all threads) in the timed region
  const char* error = nullptr;  // non-null: the allocator failed (null return, bad alignment)
};

inline double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class Timer {
 public:
  Timer() {
    HMB_REGION_BEGIN();
    cpu0_ = process_cpu_seconds();
    t0_ = std::chrono::steady_clock::now();
  }
  // Stores wall and CPU seconds of the region into `r`.
  void stop(Result& r) {
    auto t1 = std::chrono::steady_clock::now();
    double cpu1 = process_cpu_seconds();
    HMB_REGION_END();
    r.seconds = std::chrono::duration<double>(t1 - t0_).count();
    r.cpu_seconds = cpu1 - cpu0_;
  }

 private:
  std::chrono::steady_clock::time_point t0_;
  double cpu0_ = 0.0;
};

// Writes the first and the last byte of a fresh block.
inline void touch(void* p, size_t n, uint64_t v) {
  auto* b = static_cast<unsigned char*>(p);
  b[0] = static_cast<unsigned char>(v);
  b[n - 1] = static_cast<unsigned char>(v >> 8);
}

}  // namespace hmb
