// Heap-misuse programs, one per class and size: `misuse_cases NAME` runs case NAME and exits 0
// when nothing caught it (a misuse case) or when the allocator behaved as glibc 2.36 documents
// (an API case). tests/security/security_test.cc runs every case under glibc and each hakmem
// mode and prints the detection table (docs/security.md).
#include <alloca.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

// Keeps the compiler from proving anything about the pointers below.
void* volatile g_sink;
void* launder(void* p) {
  g_sink = p;
  return g_sink;
}

void double_free(size_t n, int between) {
  char* p = static_cast<char*>(std::malloc(n));
  std::memset(p, 1, n);
  std::vector<void*> others;
  for (int i = 0; i < between; ++i) others.push_back(std::malloc(n));
  std::free(p);
  for (void* o : others) std::free(o);
  std::free(launder(p));
}

void double_free_thread(size_t n) {
  void* p = std::malloc(n);
  std::thread([p] {
    std::free(p);
    std::free(launder(p));
  }).join();
}

void free_offset(size_t n, long off) {
  char* p = static_cast<char*>(std::malloc(n));
  std::free(launder(p + off));
}

void write_then_free(size_t n, long off, size_t len) {
  char* p = static_cast<char*>(launder(std::malloc(n)));
  std::memset(p + off, 0x41, len);
  std::free(p);
}

char g_global[256];

bool api_cases(const std::string& c, bool* known) {
  *known = true;
  errno = 0;
  if (c == "huge_malloc") return std::malloc(SIZE_MAX) == nullptr && errno == ENOMEM;
  if (c == "huge_calloc") return std::calloc(SIZE_MAX / 2, 4) == nullptr && errno == ENOMEM;
  if (c == "huge_realloc") {
    void* p = std::malloc(16);
    bool ok = std::realloc(p, SIZE_MAX - 8) == nullptr && errno == ENOMEM;
    std::free(p);
    return ok;
  }
  if (c == "bad_alignment") {
    void* p = nullptr;
    return posix_memalign(&p, 24, 64) == EINVAL && p == nullptr;
  }
  if (c == "exec_heap") {  // heap memory is not executable
    void* p = std::malloc(100);
    auto u = reinterpret_cast<uintptr_t>(p);
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
      unsigned long lo, hi;
      char perms[5] = {};
      if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) == 3 && u >= lo && u < hi)
        return perms[2] != 'x';
    }
    return false;
  }
  *known = false;
  return false;
}

bool misuse_case(const std::string& c) {
  constexpr size_t kSmall = 64, kMedium = 8192, kLarge = size_t{1} << 20;
  if (c == "double_free_small") double_free(kSmall, 0);
  else if (c == "double_free_small_between") double_free(kSmall, 5);
  else if (c == "double_free_small_after_flush") double_free(kSmall, 300);
  else if (c == "double_free_medium") double_free(kMedium, 0);
  else if (c == "double_free_large") double_free(kLarge, 0);
  else if (c == "double_free_thread") double_free_thread(kSmall);
  else if (c == "invalid_free_stack") { alignas(16) char buf[64]; std::free(launder(buf)); }
  else if (c == "invalid_free_global") std::free(launder(g_global));
  else if (c == "invalid_free_mmap") {
    void* m = mmap(nullptr, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    std::free(launder(static_cast<char*>(m) + 64));
  }
  else if (c == "invalid_free_alloca") std::free(launder(alloca(64)));
  else if (c == "misaligned_free_small") free_offset(kSmall, 1);
  else if (c == "interior_free_small") free_offset(kSmall, 16);
  else if (c == "interior_free_large") free_offset(kLarge, 4096);
  else if (c == "overflow_small_8") write_then_free(kSmall, kSmall, 8);
  else if (c == "overflow_small_32") write_then_free(kSmall, kSmall, 32);
  else if (c == "overflow_medium_8") write_then_free(kMedium, kMedium, 8);
  else if (c == "overflow_large_8") write_then_free(kLarge, kLarge, 8);
  else if (c == "overflow_large_32") write_then_free(kLarge, kLarge, 32);
  else if (c == "underflow_small_8") write_then_free(kSmall, -8, 8);
  else if (c == "underflow_small_32") write_then_free(kSmall, -32, 32);
  else if (c == "underflow_large_8") write_then_free(kLarge, -8, 8);
  else if (c == "underflow_large_32") write_then_free(kLarge, -32, 32);
  else if (c == "new_array_delete") {
    auto* a = new std::string[4];
    delete static_cast<std::string*>(launder(a));  // the mismatch: delete of new[]
  }
  else return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: misuse_cases NAME\n");
    return 2;
  }
  std::string c = argv[1];
  bool known = false;
  bool ok = api_cases(c, &known);
  if (known) return ok ? 0 : 1;
  if (!misuse_case(c)) {
    std::fprintf(stderr, "misuse_cases: no case %s\n", c.c_str());
    return 2;
  }
  return 0;  // not caught
}
