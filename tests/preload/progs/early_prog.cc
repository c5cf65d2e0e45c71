// Runs after early_lib's constructor allocated before hakmem's start-up (see early_lib.cc).
// Checks every box's invariants at level 2 through the exported hm_check_all, frees the
// early blocks, trims, and checks again: state built before the allocator's constructors ran
// must be neither overwritten nor counted twice. Prints "startup: ok" or the broken invariant.
#include <dlfcn.h>
#include <malloc.h>
#include <cstdio>

#include "hakmem/check.h"

extern "C" int early_lib_check();

namespace {
int check(const char* when) {
  auto fn = reinterpret_cast<int (*)(int, hm_check_result*)>(dlsym(RTLD_DEFAULT, "hm_check_all"));
  if (!fn) {
    std::printf("startup: hm_check_all not found (not run under libhakmem.so)\n");
    return 2;
  }
  hm_check_result r{};
  if (fn(2, &r) != 0) {
    std::printf("startup: %s: %s broken in box %s: %s\n", when, r.id, r.box, r.text);
    return 1;
  }
  return 0;
}
}  // namespace

int main() {
  if (int rc = check("after early constructors")) return rc;
  if (early_lib_check() != 0) {
    std::printf("startup: a block allocated before start-up was overwritten\n");
    return 1;
  }
  malloc_trim(0);
  if (int rc = check("after free and trim")) return rc;
  std::printf("startup: ok\n");
  return 0;
}
