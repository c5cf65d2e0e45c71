// libhmb-classes.so: glibc's malloc with hakmem's size classes, for LD_PRELOAD.
//
// malloc, calloc and realloc round a request of 257 bytes to kMaxSmall up to its hakmem class
// (the mappings of the HAKMEM_COARSE_CLASSES and HAKMEM_FINE_CLASSES defaults: a default
// hm::Config) and pass it on to glibc. A program run under it lays its blocks out
// with glibc's allocator but hakmem's rounding, so the time and memory it loses against plain
// glibc are what the classes cost (footprint, stride), apart from anything else hakmem does.
// Requests of 256 bytes and less are left alone: hakmem's classes there are glibc's own 16-byte
// steps, and glibc adds an 8-byte header, so rounding them again would move glibc's chunk sizes.
// HMB_CLASSES_MIN and HMB_CLASSES_MAX (bytes) narrow the rounded range, to split a program's
// cost by size range. `hakmem programs --allocators ...,glibc-classes` runs it as a row of its
// own over the whole range (bench/README.md).
#include <cstddef>
#include <cstdlib>

#include "config/config.h"
#include "sizeclass/sizeclass.h"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
}

namespace {

size_t g_min = 257, g_max = hm::kMaxSmall;  // the range rounded

__attribute__((constructor)) void init_classes() {
  const hm::Config defaults;
  hm::sizeclass_init(defaults.coarse_classes != 0, static_cast<unsigned>(defaults.fine_classes));
  if (const char* e = std::getenv("HMB_CLASSES_MIN"); e && std::strtoull(e, nullptr, 10) > g_min)
    g_min = std::strtoull(e, nullptr, 10);
  if (const char* e = std::getenv("HMB_CLASSES_MAX"); e && std::strtoull(e, nullptr, 10) < g_max)
    g_max = std::strtoull(e, nullptr, 10);
}

size_t rounded(size_t n) {
  if (n < g_min || n > g_max) return n;
  return hm::class_to_size(hm::size_to_class(n));
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) void* malloc(size_t n) { return __libc_malloc(rounded(n)); }

__attribute__((visibility("default"))) void* realloc(void* p, size_t n) { return __libc_realloc(p, rounded(n)); }

__attribute__((visibility("default"))) void* calloc(size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) return __libc_calloc(n, size);  // glibc's ENOMEM
  return __libc_calloc(1, rounded(total));
}

}  // extern "C"
