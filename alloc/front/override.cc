// The drop-in layer of the front box, linked into libhakmem.so only: the C allocation
// symbols and every C++ operator new/delete, each a direct call into the hm_* API.
#include <errno.h>
#include <malloc.h>

#include <cstddef>
#include <new>

#include "front/front.h"

#define HM_EXPORT extern "C" __attribute__((visibility("default")))

HM_EXPORT void* malloc(size_t n) { return hm_malloc(n); }
HM_EXPORT void free(void* p) { hm_free(p); }
HM_EXPORT void* calloc(size_t n, size_t s) { return hm_calloc(n, s); }
HM_EXPORT void* realloc(void* p, size_t n) { return hm_realloc(p, n); }
HM_EXPORT void* reallocarray(void* p, size_t n, size_t s) { return hm_reallocarray(p, n, s); }
HM_EXPORT void* aligned_alloc(size_t a, size_t n) { return hm_aligned_alloc(a, n); }
HM_EXPORT int posix_memalign(void** out, size_t a, size_t n) { return hm_posix_memalign(out, a, n); }
HM_EXPORT void* memalign(size_t a, size_t n) { return hm_memalign(a, n); }
HM_EXPORT void* valloc(size_t n) { return hm_valloc(n); }
HM_EXPORT void* pvalloc(size_t n) { return hm_pvalloc(n); }
HM_EXPORT size_t malloc_usable_size(void* p) { return hm_malloc_usable_size(p); }
HM_EXPORT int malloc_trim(size_t pad) { return hm_trim(pad); }

namespace {

// operator new: retry through the new-handler, then throw (glibc/libstdc++ behaviour).
void* new_or_throw(size_t n, size_t align) {
  for (;;) {
    void* p = align ? hm_aligned_alloc(align, n) : hm_malloc(n);
    if (p) return p;
    std::new_handler h = std::get_new_handler();
    if (!h) throw std::bad_alloc();
    h();
  }
}

void* new_nothrow(size_t n, size_t align) noexcept {
  try {
    return new_or_throw(n, align);
  } catch (...) {
    return nullptr;
  }
}

}  // namespace

#define HM_CXX __attribute__((visibility("default")))

HM_CXX void* operator new(size_t n) { return new_or_throw(n, 0); }
HM_CXX void* operator new[](size_t n) { return new_or_throw(n, 0); }
HM_CXX void* operator new(size_t n, const std::nothrow_t&) noexcept { return new_nothrow(n, 0); }
HM_CXX void* operator new[](size_t n, const std::nothrow_t&) noexcept { return new_nothrow(n, 0); }
HM_CXX void* operator new(size_t n, std::align_val_t a) { return new_or_throw(n, static_cast<size_t>(a)); }
HM_CXX void* operator new[](size_t n, std::align_val_t a) { return new_or_throw(n, static_cast<size_t>(a)); }
HM_CXX void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return new_nothrow(n, static_cast<size_t>(a));
}
HM_CXX void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return new_nothrow(n, static_cast<size_t>(a));
}

HM_CXX void operator delete(void* p) noexcept { hm_free(p); }
HM_CXX void operator delete[](void* p) noexcept { hm_free(p); }
HM_CXX void operator delete(void* p, const std::nothrow_t&) noexcept { hm_free(p); }
HM_CXX void operator delete[](void* p, const std::nothrow_t&) noexcept { hm_free(p); }
HM_CXX void operator delete(void* p, size_t n) noexcept { hm_free_sized(p, n); }
HM_CXX void operator delete[](void* p, size_t n) noexcept { hm_free_sized(p, n); }
HM_CXX void operator delete(void* p, std::align_val_t a) noexcept { hm_free_aligned(p, static_cast<size_t>(a)); }
HM_CXX void operator delete[](void* p, std::align_val_t a) noexcept { hm_free_aligned(p, static_cast<size_t>(a)); }
HM_CXX void operator delete(void* p, std::align_val_t a, const std::nothrow_t&) noexcept {
  hm_free_aligned(p, static_cast<size_t>(a));
}
HM_CXX void operator delete[](void* p, std::align_val_t a, const std::nothrow_t&) noexcept {
  hm_free_aligned(p, static_cast<size_t>(a));
}
HM_CXX void operator delete(void* p, size_t, std::align_val_t a) noexcept { hm_free_aligned(p, static_cast<size_t>(a)); }
HM_CXX void operator delete[](void* p, size_t, std::align_val_t a) noexcept {
  hm_free_aligned(p, static_cast<size_t>(a));
}
