// A small program for `hakmem run` tests: "ok" allocates and frees cleanly, "double" frees
// a block twice. Plain malloc/free: hakmem comes in through LD_PRELOAD.
#include <cstdlib>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
  std::vector<void*> v;
  for (int i = 0; i < 10000; ++i) v.push_back(std::malloc(static_cast<size_t>(i % 3000) + 1));
  for (void* p : v) std::free(p);
  if (argc > 1 && !std::strcmp(argv[1], "double")) {
    void* volatile p = std::malloc(48);
    std::free(p);
    std::free(p);
  }
  return argc > 2 ? std::atoi(argv[2]) : 0;
}
