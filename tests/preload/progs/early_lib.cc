// A shared library whose constructor allocates before the allocator's own constructors run:
// loaded as a dependency of early_prog, it is initialised before a preloaded libhakmem.so.
// It keeps every 8th block of 40,000 small ones and frees the rest, so the thread's bins
// overflow into the transfer box and pages are carved, all before hakmem's start-up.
#include <cstdlib>
#include <cstring>

namespace {
constexpr int kBlocks = 40000;
void* g_kept[kBlocks / 8];

__attribute__((constructor)) void early_allocations() {
  void** all = static_cast<void**>(std::malloc(sizeof(void*) * kBlocks));
  for (int i = 0; i < kBlocks; ++i) {
    all[i] = std::malloc(16 + (i % 4) * 16);
    std::memset(all[i], 0x5a, 16);
  }
  for (int i = 0; i < kBlocks; ++i) {
    if (i % 8 == 0) g_kept[i / 8] = all[i];
    else std::free(all[i]);
  }
  std::free(all);
}
}  // namespace

extern "C" int early_lib_check() {  // the kept blocks still hold what was written
  for (void* p : g_kept)
    if (static_cast<unsigned char*>(p)[15] != 0x5a) return 1;
  for (void* p : g_kept) std::free(p);
  return 0;
}
