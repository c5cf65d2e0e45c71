// Running hakmem-bench children: one case of one profile for one allocator
// variant, from a scrubbed environment, optionally under callgrind.
#pragma once

#include <string>
#include <vector>

#include "runner/benchio.h"
#include "runner/env.h"

namespace hmb {

// One way of running the benchmark binary.
struct Variant {
  std::string allocator;  // row name: hakmem, mimalloc, glibc, tcmalloc, jemalloc
  std::string mode;       // "inprocess" | "preload"
  std::string bench_variant;  // the case's allocator in hakmem-bench: hakmem | mimalloc | system
  std::string preload;    // LD_PRELOAD for preload mode
};

struct ChildContext {
  std::string bench;  // path of hakmem-bench
  EnvMap parent;      // the runner's environment (only PATH and HMB_* pass through)
  EnvMap settings;    // HMB_* from the runner's flags
};

// The scrubbed environment of a child for this variant and gates.
EnvMap child_env(const ChildContext& ctx, const Variant& v, const EnvMap& gates);

// Runs one case; throws std::runtime_error with the child's stderr on failure.
BenchSample run_case(const ChildContext& ctx, const std::string& profile, const Variant& v, const EnvMap& gates);

// Instructions per op of one case under valgrind --tool=callgrind with
// HMB_ITERS=iters (only the timed region is instrumented).
double run_callgrind(const ChildContext& ctx, const std::string& profile, const Variant& v, const EnvMap& gates,
                     unsigned long iters);

// The case names hakmem-bench registers (--benchmark_list_tests).
std::vector<std::string> list_cases(const ChildContext& ctx);

}  // namespace hmb
