// hakmem-bench: the allocator workloads of profiles_st.h / profiles_mt.h over
// every allocator compiled in, as Google Benchmark cases named
//   <profile>/<allocator>            e.g. mixed/hakmem, app/mimalloc
//   ring/<allocator>/remote:<P>      P = 0, 50, 90
//   xfer/<allocator>/size:<S>, xfer2/<allocator>/size:<S>   S = 16, 64, 256
//   pipe/<allocator>/size:<S>, pipe2/<allocator>/size:<S>   S = 16, 64, 256
//   mailbox/<allocator>/size:<S>                            S = 16, 64, 256
//   large/<allocator>, grow/<allocator>, objects/<allocator>, bulk/<allocator>,
//   buffers/<allocator>
//   burst/<allocator>/size:<S>                              S = 1024, 4096
// Allocators: hakmem (hm_* API, when built), mimalloc (mi_* API), system.
// Each case runs its workload once (one iteration, so Google Benchmark appends
// "/iterations:1/manual_time" to the names) and reports the counters
//   ops, ops_per_s, ns_per_op  from its own timed region (wall clock)
//   cpu_ops_per_s, cpu_ns_per_op  the same over the process's CPU time in that region
//                              (all threads; less sensitive to a loaded machine)
//   peak_rss_kb                getrusage ru_maxrss after the run (process-wide high-water mark:
//                              run one case per process to attribute it, as hakmem sbs/ab do)
//   final_rss_kb               resident set from /proc/self/statm after the blocks are freed
//   sys_s, minor_faults        system CPU seconds and minor page faults of the process in the
//                              timed region (getrusage before and after it)
// Settings (flags win over environment): --iters N / HMB_ITERS (iterations, replaces each
// profile's default), --threads N / HMB_THREADS (multi-threaded profiles, default 2:
// one thread per core of the 2-core machines the targets are stated for),
// --seed N / HMB_SEED (default 42). Every other flag goes to Google Benchmark.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "alloc_policy.h"
#include "profiles_buffers.h"
#include "profiles_bulk.h"
#include "profiles_burst.h"
#include "profiles_large.h"
#include "profiles_mt.h"
#include "profiles_objects.h"
#include "profiles_st.h"
#include "profiles_xfer.h"

namespace hmb {

MimallocApi g_mimalloc;

bool load_mimalloc(const char* path, const char** why) {
  void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) h = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    *why = dlerror();
    return false;
  }
  MimallocApi api;
  api.malloc = reinterpret_cast<void* (*)(size_t)>(dlsym(h, "mi_malloc"));
  api.free = reinterpret_cast<void (*)(void*)>(dlsym(h, "mi_free"));
  api.realloc = reinterpret_cast<void* (*)(void*, size_t)>(dlsym(h, "mi_realloc"));
  api.aligned_alloc = reinterpret_cast<void* (*)(size_t, size_t)>(dlsym(h, "mi_aligned_alloc"));
  api.posix_memalign = reinterpret_cast<int (*)(void**, size_t, size_t)>(dlsym(h, "mi_posix_memalign"));
  if (!api.malloc || !api.free || !api.realloc || !api.aligned_alloc || !api.posix_memalign) {
    *why = "mi_* symbols missing";
    return false;
  }
  g_mimalloc = api;
  return true;
}

namespace {

struct Settings {
  uint64_t iters = 0;  // 0: the profile's default
  unsigned threads = 2;
  uint64_t seed = 42;
};
Settings g_set;

long statm_resident_kb() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long size = 0, resident = 0;
  int got = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  return got == 2 ? resident * (sysconf(_SC_PAGESIZE) / 1024) : -1;
}

void report(benchmark::State& state, const std::function<Result(uint64_t)>& run, uint64_t def_iters) {
  uint64_t iters = g_set.iters ? g_set.iters : def_iters;
  Result res;
  for (auto _ : state) res = run(iters);
  if (res.error) {
    state.SkipWithError(res.error);
    return;
  }
  state.SetIterationTime(res.seconds);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double ops = static_cast<double>(res.ops);
  state.counters["ops"] = ops;
  state.counters["ops_per_s"] = res.seconds > 0 ? ops / res.seconds : 0.0;
  state.counters["ns_per_op"] = ops > 0 ? res.seconds * 1e9 / ops : 0.0;
  state.counters["cpu_ops_per_s"] = res.cpu_seconds > 0 ? ops / res.cpu_seconds : 0.0;
  state.counters["cpu_ns_per_op"] = ops > 0 ? res.cpu_seconds * 1e9 / ops : 0.0;
  state.counters["peak_rss_kb"] = static_cast<double>(ru.ru_maxrss);
  state.counters["final_rss_kb"] = static_cast<double>(statm_resident_kb());
  state.counters["sys_s"] = res.sys_seconds;
  state.counters["minor_faults"] = static_cast<double>(res.minor_faults);
}

void add(const std::string& name, std::function<Result(uint64_t)> run, uint64_t def_iters) {
  benchmark::RegisterBenchmark(name.c_str(), [run, def_iters](benchmark::State& st) { report(st, run, def_iters); })
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
}

template <class A>
void register_allocator() {
  const std::string a = A::kName;
  const uint64_t seed = g_set.seed;
  const unsigned th = g_set.threads;
  add("mixed/" + a, [=](uint64_t n) { return run_slots<A>(n, seed, Uniform{16, 1024}); }, 20'000'000);
  add("small/" + a, [=](uint64_t n) { return run_slots<A>(n, seed, Uniform{16, 2048}); }, 10'000'000);
  add("medium/" + a, [=](uint64_t n) { return run_slots<A>(n, seed, Uniform{4096, 32768}); }, 10'000'000);
  add("mixed32k/" + a, [=](uint64_t n) { return run_slots<A>(n, seed, Uniform{16, 32768}); }, 10'000'000);
  add("app/" + a, [=](uint64_t n) { return run_slots<A>(n, seed, AppSizes{}); }, 10'000'000);
  add("realloc/" + a, [=](uint64_t n) { return run_realloc<A>(n, seed); }, 10'000'000);
  add("aligned/" + a, [=](uint64_t n) { return run_aligned<A>(n, seed); }, 10'000'000);
  for (unsigned pct : {0u, 50u, 90u})
    add("ring/" + a + "/remote:" + std::to_string(pct),
        [=](uint64_t n) { return run_ring<A>(n, seed, th, pct); }, 10'000'000);
  add("larson/" + a, [=](uint64_t n) { return run_larson<A>(n, seed, th); }, 10'000'000);
  add("churn/" + a, [=](uint64_t n) { return run_churn<A>(n, seed, th); }, 2'000'000);
  for (uint32_t size : {16u, 64u, 256u}) {
    const std::string sz = "/size:" + std::to_string(size);
    add("xfer/" + a + sz, [=](uint64_t n) { return run_xfer<A>(n, seed, size, 1); }, 10'000'000);
    add("xfer2/" + a + sz, [=](uint64_t n) { return run_xfer<A>(n, seed, size, 2); }, 10'000'000);
    add("pipe/" + a + sz, [=](uint64_t n) { return run_xfer<A, PipeQueue>(n, seed, size, 1); }, 10'000'000);
    add("pipe2/" + a + sz, [=](uint64_t n) { return run_xfer<A, PipeQueue>(n, seed, size, 2); }, 10'000'000);
    add("mailbox/" + a + sz, [=](uint64_t n) { return run_xfer<A, MailboxQueue>(n, seed, size, 1); }, 10'000'000);
  }
  add("large/" + a, [=](uint64_t n) { return run_large<A>(n, seed); }, 3'000);
  add("grow/" + a, [=](uint64_t n) { return run_grow<A>(n, seed); }, 20'000);
  add("objects/" + a, [=](uint64_t n) { return run_objects<A>(n, seed); }, 2'000'000);
  add("bulk/" + a, [=](uint64_t n) { return run_bulk<A>(n, seed); }, 10'000'000);
  for (uint32_t size : {1024u, 4096u})
    add("burst/" + a + "/size:" + std::to_string(size), [=](uint64_t n) { return run_burst<A>(n, size); }, 10'000'000);
  add("buffers/" + a, [=](uint64_t n) { return run_buffers<A>(n, seed, th); }, 200'000);
}

bool parse_u64(const char* s, uint64_t* out) {
  if (!s || !*s) return false;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (*end) return false;
  *out = v;
  return true;
}

// Reads the HMB_* environment, then strips --iters/--threads/--seed from argv.
bool take_settings(int* argc, char** argv) {
  struct Opt { const char* flag; const char* env; uint64_t* dst; };
  uint64_t threads = g_set.threads;
  Opt opts[] = {{"--iters", "HMB_ITERS", &g_set.iters}, {"--threads", "HMB_THREADS", &threads},
                {"--seed", "HMB_SEED", &g_set.seed}};
  for (auto& o : opts)
    if (const char* v = std::getenv(o.env); v && !parse_u64(v, o.dst)) {
      std::fprintf(stderr, "hakmem-bench: bad %s='%s'\n", o.env, v);
      return false;
    }
  int w = 1;
  for (int i = 1; i < *argc; ++i) {
    bool taken = false;
    for (auto& o : opts) {
      size_t len = std::strlen(o.flag);
      if (std::strncmp(argv[i], o.flag, len) != 0) continue;
      const char* v = nullptr;
      if (argv[i][len] == '=') v = argv[i] + len + 1;
      else if (argv[i][len] == '\0' && i + 1 < *argc) v = argv[++i];
      else continue;
      if (!parse_u64(v, o.dst)) {
        std::fprintf(stderr, "hakmem-bench: bad %s '%s'\n", o.flag, v);
        return false;
      }
      taken = true;
      break;
    }
    if (!taken) argv[w++] = argv[i];
  }
  *argc = w;
  argv[w] = nullptr;
  if (threads < 1 || threads > 1024) {
    std::fprintf(stderr, "hakmem-bench: threads must be in [1, 1024]\n");
    return false;
  }
  g_set.threads = static_cast<unsigned>(threads);
  return true;
}

}  // namespace
}  // namespace hmb

int main(int argc, char** argv) {
  if (!hmb::take_settings(&argc, argv)) return 2;
#if HMB_HAVE_HAKMEM
  hmb::register_allocator<hmb::HakmemPolicy>();
#endif
  const char* why = nullptr;
  if (hmb::load_mimalloc(HMB_MIMALLOC_PATH, &why)) hmb::register_allocator<hmb::MimallocPolicy>();
  else std::fprintf(stderr, "hakmem-bench: mimalloc unavailable (%s)\n", why);
  hmb::register_allocator<hmb::SystemPolicy>();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
