// Shared pieces of every workload: the result record, the timed region
// (bracketed by callgrind instrumentation when running under valgrind, so
// `hakmem sbs --callgrind` counts only the workload's instructions) and the
// byte touch that makes every block really used.
#pragma once

#include <sys/resource.h>
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
  double sys_seconds = 0.0;  // of which in the kernel (getrusage ru_stime): page faults, mmap, madvise
  uint64_t minor_faults = 0;  // minor page faults of the process in the timed region (ru_minflt)
  const char* error = nullptr;  // non-null: the allocator failed (null return, bad alignment)
};

inline double tv_seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

// The kernel's share of a region: the difference of two getrusage(RUSAGE_SELF) readings.
inline void rusage_delta(const rusage& a, const rusage& b, Result& r) {
  r.sys_seconds = tv_seconds(b.ru_stime) - tv_seconds(a.ru_stime);
  r.minor_faults = b.ru_minflt >= a.ru_minflt ? static_cast<uint64_t>(b.ru_minflt - a.ru_minflt) : 0;
}

inline double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class Timer {
 public:
  Timer() {
    HMB_REGION_BEGIN();
    getrusage(RUSAGE_SELF, &ru0_);
    cpu0_ = process_cpu_seconds();
    t0_ = std::chrono::steady_clock::now();
  }
  // Stores wall, CPU and system seconds and the minor faults of the region into `r`.
  void stop(Result& r) {
    auto t1 = std::chrono::steady_clock::now();
    double cpu1 = process_cpu_seconds();
    rusage ru1{};
    getrusage(RUSAGE_SELF, &ru1);
    HMB_REGION_END();
    rusage_delta(ru0_, ru1, r);
    r.seconds = std::chrono::duration<double>(t1 - t0_).count();
    r.cpu_seconds = cpu1 - cpu0_;
  }

 private:
  std::chrono::steady_clock::time_point t0_;
  double cpu0_ = 0.0;
  rusage ru0_{};
};

// Writes the first and the last byte of a fresh block.
inline void touch(void* p, size_t n, uint64_t v) {
  auto* b = static_cast<unsigned char*>(p);
  b[0] = static_cast<unsigned char>(v);
  b[n - 1] = static_cast<unsigned char>(v >> 8);
}

}  // namespace hmb
