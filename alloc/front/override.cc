// The drop-in layer of the front box, linked into libhakmem.so only: the C allocation
// symbols and every C++ operator new/delete: the C symbols and operator delete are the hm_*
// functions themselves (link-time aliases), operator new a loop over hm_malloc.
#include <errno.h>
#include <malloc.h>

#include <cstddef>
#include <new>

#include "front/front.h"

#define HM_EXPORT extern "C" __attribute__((visibility("default")))

// The C symbols malloc, free, calloc, realloc, ... are not defined here: the link makes each the
// same address as its hm_* function (HAKMEM_DROP_IN_ALIASES in alloc/CMakeLists.txt), so a call from the
// program lands on the allocator's own entry with no jump in between.
static_assert(sizeof(&hm_malloc) == sizeof(void*));

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

// Every operator delete is hm_free itself, as the C symbols are (HAKMEM_DROP_IN_ALIASES): a size or
// an alignment argument is ignored, since the block's page or header knows both.
