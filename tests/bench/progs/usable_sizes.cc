// Prints malloc_usable_size of a malloc, a calloc and a realloc of each size named on the
// command line, one line per size: "<size> <malloc> <calloc> <realloc>". Run with and without
// libhmb-classes.so preloaded (classes_shim_test.cc).
#include <malloc.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    size_t n = std::strtoul(argv[i], nullptr, 10);
    void* m = std::malloc(n);
    void* c = std::calloc(1, n);
    void* r = std::realloc(std::malloc(16), n);
    if (!m || !c || !r) return 1;
    std::printf("%zu %zu %zu %zu\n", n, malloc_usable_size(m), malloc_usable_size(c), malloc_usable_size(r));
    std::free(m), std::free(c), std::free(r);
  }
  return 0;
}
