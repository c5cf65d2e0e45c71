// A program outside the tree using the installed prefixed API: 100 bytes land in the 112-byte class.
#include <hakmem/hakmem.h>

#include <cstdio>

int main() {
  void* p = hm_malloc(100);
  std::printf("%zu\n", hm_malloc_usable_size(p));
  hm_free(p);
}
