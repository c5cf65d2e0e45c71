// Pinning to the CPUs of the process's affinity set: the threaded profiles' threads
// (profiles_xfer.h) and the runners' probe of the machine's state (line_round_trip_ns).
#pragma once

#include <pthread.h>
#include <sched.h>

namespace hmb {

// The CPUs the calling thread may run on (0 when they cannot be read).
inline unsigned allowed_cpu_count() {
  cpu_set_t all;
  if (sched_getaffinity(0, sizeof all, &all) != 0) return 0;
  return static_cast<unsigned>(CPU_COUNT(&all));
}

// Pins the calling thread to the k-th CPU (round robin) of its affinity set; false when it could not.
inline bool pin_to_cpu(unsigned k) {
  cpu_set_t all;
  if (sched_getaffinity(0, sizeof all, &all) != 0) return false;
  unsigned n = static_cast<unsigned>(CPU_COUNT(&all)), seen = 0;
  if (n == 0) return false;
  for (unsigned c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &all) || seen++ != k % n) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(c, &one);
    return pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
  }
  return false;
}

}  // namespace hmb
