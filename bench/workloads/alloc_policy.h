// Allocator policies: each workload is a template over one of these, so a
// profile is written once and every allocator gets direct calls.
//   SystemPolicy   plain malloc/free: glibc, or whatever LD_PRELOAD installed.
//   MimallocPolicy mimalloc's mi_* API. The library is dlopen'ed with
//                  RTLD_LOCAL: libmimalloc.so also exports malloc/free, and
//                  linking it would silently turn "system" into mimalloc.
//   HakmemPolicy   hakmem's prefixed hm_* API (static library), when built.
#pragma once

#include <cstddef>
#include <cstdlib>

#if HMB_HAVE_HAKMEM
#include "hakmem/hakmem.h"
#endif

namespace hmb {

struct SystemPolicy {
  static constexpr const char* kName = "system";
  static void* malloc(size_t n) { return std::malloc(n); }
  static void free(void* p) { std::free(p); }
  static void* realloc(void* p, size_t n) { return std::realloc(p, n); }
  static void* aligned_alloc(size_t a, size_t n) { return std::aligned_alloc(a, n); }
  static int posix_memalign(void** out, size_t a, size_t n) { return ::posix_memalign(out, a, n); }
};

// Entry points of mimalloc resolved at start-up; all null when it is absent.
struct MimallocApi {
  void* (*malloc)(size_t) = nullptr;
  void (*free)(void*) = nullptr;
  void* (*realloc)(void*, size_t) = nullptr;
  void* (*aligned_alloc)(size_t, size_t) = nullptr;
  int (*posix_memalign)(void**, size_t, size_t) = nullptr;
};
extern MimallocApi g_mimalloc;
// Loads mimalloc from `path`; false (with a reason in *why) when unavailable.
bool load_mimalloc(const char* path, const char** why);

struct MimallocPolicy {
  static constexpr const char* kName = "mimalloc";
  static void* malloc(size_t n) { return g_mimalloc.malloc(n); }
  static void free(void* p) { g_mimalloc.free(p); }
  static void* realloc(void* p, size_t n) { return g_mimalloc.realloc(p, n); }
  static void* aligned_alloc(size_t a, size_t n) { return g_mimalloc.aligned_alloc(a, n); }
  static int posix_memalign(void** out, size_t a, size_t n) { return g_mimalloc.posix_memalign(out, a, n); }
};

#if HMB_HAVE_HAKMEM
struct HakmemPolicy {
  static constexpr const char* kName = "hakmem";
  static void* malloc(size_t n) { return hm_malloc(n); }
  static void free(void* p) { hm_free(p); }
  static void* realloc(void* p, size_t n) { return hm_realloc(p, n); }
  static void* aligned_alloc(size_t a, size_t n) { return hm_aligned_alloc(a, n); }
  static int posix_memalign(void** out, size_t a, size_t n) { return hm_posix_memalign(out, a, n); }
};
#endif

}  // namespace hmb
