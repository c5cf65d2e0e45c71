// large box: ASan manual poisoning of cached (freed) large blocks (asan builds only,
// HAKMEM_ASAN=1). A block in the cache is poisoned whole -- the header before it stays
// addressable -- and unpoisoned when it is reused or its mapping goes back to the OS.
// Outside the asan build both helpers compile to nothing.
#pragma once

#include "base.h"

#if defined(HAKMEM_ASAN) && HAKMEM_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace hm {

HM_FAST_PATH void large_poison(void* p, size_t n) {
#if defined(HAKMEM_ASAN) && HAKMEM_ASAN
  ASAN_POISON_MEMORY_REGION(p, n);
#else
  (void)p, (void)n;
#endif
}

HM_FAST_PATH void large_unpoison(void* p, size_t n) {
#if defined(HAKMEM_ASAN) && HAKMEM_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
  (void)p, (void)n;
#endif
}

}  // namespace hm
