// hakmem-trim-probe: how much memory the process keeps after a producer/consumer hand-off,
// before and after malloc_trim(0). Run it with the allocator under test preloaded:
//   LD_PRELOAD=build/release/lib/libhakmem.so build/release/bin/hakmem-trim-probe [threads]
// Each producer thread allocates 4000 blocks of 1000 bytes, waits until every producer holds
// its blocks, hands them to the main thread and exits; the main thread then frees all but the
// first block of each producer, so the frees land on pages no running thread owns.
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace {

long resident_kb() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  long size = 0, resident = 0;
  if (!f || std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
  if (f) std::fclose(f);
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 4;
  constexpr int kBlocks = 4000;
  if (threads < 1 || threads > 256) {
    std::fprintf(stderr, "usage: hakmem-trim-probe [threads 1..256]\n");
    return 2;
  }
  std::vector<void*> handed;
  std::mutex m;
  std::atomic<int> holding{0};
  long start = resident_kb();
  std::vector<std::thread> producers;
  for (int t = 0; t < threads; ++t) {
    producers.emplace_back([&, t] {
      std::vector<void*> v;
      for (int i = 0; i < kBlocks; ++i) {
        void* p = std::malloc(1000);
        if (!p) std::abort();
        std::memset(p, t + i, 1000);
        v.push_back(p);
      }
      holding.fetch_add(1);
      while (holding.load() < threads) std::this_thread::yield();
      std::lock_guard<std::mutex> g(m);
      handed.insert(handed.end(), v.begin(), v.end());
    });
  }
  for (auto& p : producers) p.join();
  long peak = resident_kb();
  for (size_t k = 0; k < handed.size(); ++k)
    if (k % kBlocks) std::free(handed[k]);
  long freed = resident_kb();
  int released = malloc_trim(0);
  long trimmed = resident_kb();
  std::printf("producers %d: resident KiB start %ld, peak %ld, after frees %ld (+%ld), malloc_trim -> %d, "
              "after trim %ld (+%ld)\n",
              threads, start, peak, freed, freed - start, released, trimmed, trimmed - start);
  return 0;
}
