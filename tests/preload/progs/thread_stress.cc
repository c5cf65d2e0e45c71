// A correct multi-threaded program of plain malloc/free, in the shape of the classic allocator
// stress tests: T threads each allocate blocks of mixed small sizes, keep a window of them,
// free most locally and hand the rest to the next thread through a locked exchange, which
// frees them (remote frees on pages their owner keeps carving). Every block is filled and
// checked before it is freed. Run under the debug drop-in at every check level, any report is
// a false alarm. Usage: thread_stress [threads] [ops per thread] [seed]
#include <pthread.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace {

struct Exchange {
  std::mutex mu;
  std::vector<void*> items;
};

uint32_t next_rand(uint32_t& s) {
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  return s;
}

unsigned char tag_of(const void* p) { return static_cast<unsigned char>(reinterpret_cast<uintptr_t>(p) >> 4); }

bool fill_and_check(void* p, size_t n) {
  auto* b = static_cast<unsigned char*>(p);
  std::memset(b, tag_of(p), n);
  return b[n - 1] == tag_of(p);
}

std::atomic<int> g_bad{0};

void drain(Exchange& x) {
  std::vector<void*> got;
  {
    std::lock_guard<std::mutex> g(x.mu);
    got.swap(x.items);
  }
  for (void* p : got) {
    if (static_cast<unsigned char*>(p)[0] != tag_of(p)) g_bad.fetch_add(1);
    std::free(p);
  }
}

void worker(unsigned id, unsigned ops, uint32_t seed, Exchange& mine, Exchange& next) {
  uint32_t s = seed * 2654435761u + id + 1;
  std::vector<void*> window;
  for (unsigned i = 0; i < ops; ++i) {
    size_t n = 8 + next_rand(s) % 2040;  // 8..2047 bytes: the small classes
    void* p = std::malloc(n);
    if (!p || !fill_and_check(p, n)) {
      g_bad.fetch_add(1);
      continue;
    }
    window.push_back(p);
    if (window.size() > 64) {
      size_t k = next_rand(s) % window.size();
      void* q = window[k];
      window[k] = window.back();
      window.pop_back();
      if (next_rand(s) % 4 == 0) {
        std::lock_guard<std::mutex> g(next.mu);
        next.items.push_back(q);
      } else {
        std::free(q);
      }
    }
    if (i % 128 == 0) drain(mine);
  }
  for (void* p : window) std::free(p);
  drain(mine);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 32;
  unsigned ops = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 2000;
  uint32_t seed = argc > 3 ? static_cast<uint32_t>(std::atoi(argv[3])) : 1;
  std::vector<Exchange> ex(threads);
  std::vector<std::thread> ts;
  for (unsigned t = 0; t < threads; ++t)
    ts.emplace_back(worker, t, ops, seed, std::ref(ex[t]), std::ref(ex[(t + 1) % threads]));
  for (auto& t : ts) t.join();
  for (auto& x : ex) drain(x);
  if (g_bad.load()) {
    std::printf("thread_stress: %d blocks lost their contents\n", g_bad.load());
    return 1;
  }
  std::printf("thread_stress: ok\n");
  return 0;
}
