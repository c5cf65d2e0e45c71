// Writes the seed corpora: `hakmem-fuzz-seeds <fuzz dir>` creates corpus/<harness>/seed-N for
// every harness -- a few operation streams from a fixed pseudo-random sequence, plus short
// hand-made streams that reach each opcode. Deterministic: rerunning rewrites the same files.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Rng {
  uint64_t s;
  uint8_t next() {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    return static_cast<uint8_t>(s >> 24);
  }
};

void write(const fs::path& dir, int n, const std::vector<uint8_t>& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / ("seed-" + std::to_string(n)), std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: hakmem-fuzz-seeds <fuzz dir>\n");
    return 2;
  }
  const char* harnesses[] = {"report_fuzz", "config_fuzz", "os_fuzz",    "sizeclass_fuzz", "pagemap_fuzz", "segment_fuzz", "page_fuzz",
                             "remote_fuzz", "transfer_fuzz", "large_fuzz", "heap_fuzz",   "tcache_fuzz", "front_fuzz",   "stats_fuzz"};
  for (const char* h : harnesses) {
    fs::path dir = fs::path(argv[1]) / "corpus" / h;
    Rng rng{0x9e3779b97f4a7c15ull ^ std::hash<std::string>{}(h)};
    int n = 0;
    for (size_t len : {8u, 48u, 200u}) {
      std::vector<uint8_t> v(len);
      for (auto& b : v) b = rng.next();
      write(dir, n++, v);
    }
    // One stream per opcode value 0..15 with small operands: every branch is reachable at once.
    std::vector<uint8_t> all;
    for (uint8_t op = 0; op < 16; ++op) {
      all.push_back(op);
      for (int k = 0; k < 7; ++k) all.push_back(static_cast<uint8_t>(op * 7 + k + 1));
    }
    write(dir, n++, all);
  }
  // Reports: the forked fail-fast path (opcode 7) for a misuse and a violation.
  write(fs::path(argv[1]) / "corpus/report_fuzz", 10, {7, 0, 1, 0x40, 0, 0, 0, 0x7f, 0, 0, 3, 4, 0, 'a', 'b', 'c', 'd', 2, 0, 'x', 'y'});
  write(fs::path(argv[1]) / "corpus/report_fuzz", 11, {7, 1, 5, 0x10, 0x20, 0, 0, 0, 0, 0, 0, 0});
  // report_fatal (opcode 23) with a three-byte subject and a two-byte reason.
  write(fs::path(argv[1]) / "corpus/report_fuzz", 12, {23, 3, 'a', 'b', 'c', 2, 'x', 'y'});
  // Transfer: classes 0, 1 and 70 at 1024 KiB; 17 puts of 4 blocks into class 0 (the last
  // finds the stack full), the bound set to 0 (below what the box holds) and a put it refuses,
  // two takes and one of an empty class, the default bound again, a threaded burst, a drain.
  {
    std::vector<uint8_t> v = {0, 1, 70, 8};
    for (int i = 0; i < 17; ++i) v.insert(v.end(), {0, 0, 3});
    v.insert(v.end(), {5, 0, 1, 2, 0, 3, 0, 3, 0, 4, 2, 5, 8});
    v.insert(v.end(), {6, 2, 40, 50, 0x15, 0x7c, 0x4a, 0x7f, 0xb9, 0x79, 0x37, 0x9e, 7});
    write(fs::path(argv[1]) / "corpus/transfer_fuzz", 4, v);
  }
  // Tcache: a bin filled past its bound, for class 0 (16 bytes, bound 512) and class 64 (operand
  // 4, 1088 bytes, bound 64): helper jobs (opcode 17) hand over 32 blocks each, then frees of the
  // oldest held block until the bin overflows and the slow free returns its older half; then a
  // flush.
  for (uint8_t k : {0, 4}) {
    std::vector<uint8_t> v;
    int jobs = k == 0 ? 17 : 3, frees = k == 0 ? 530 : 80;
    for (int i = 0; i < jobs; ++i) v.insert(v.end(), {17, k, static_cast<uint8_t>(i), 31});
    for (int i = 0; i < frees; ++i) v.insert(v.end(), {1, k, 0, 0, 0});
    v.insert(v.end(), {4, k, 0});
    write(fs::path(argv[1]) / "corpus/tcache_fuzz", 10 + k, v);
  }
  // Tcache: another thread's 512-byte blocks (operand 8: bin bound 64, with a spare) freed until
  // the bin has become the spare three times, so a full spare is handed on twice for a foreign
  // block and the bin taking its place is walked; flushes (and one-block helper jobs) pad the input to a size that sets
  // HAKMEM_TRANSFER_DEMOTE to 0, 1 or 2 (seeds 11, 12, 13) on unhardened bins (tcache_fuzz.cc).
  for (int demote : {0, 1, 2}) {
    std::vector<uint8_t> v;
    for (int i = 0; i < 7; ++i) v.insert(v.end(), {17, 8, static_cast<uint8_t>(i), 31});
    for (int i = 0; i < 200; ++i) v.insert(v.end(), {1, 8, 0, 0, 0});
    v.insert(v.end(), {4, 8, 0});
    for (int pad = 0; v.size() % 4 <= 1 || static_cast<int>(v.size() / 4 % 3) != demote; ++pad)
      pad % 4 == 3 ? v.insert(v.end(), {17, 0, 0, 0}) : v.insert(v.end(), {4, 8, 0});
    write(fs::path(argv[1]) / "corpus/tcache_fuzz", 11 + demote, v);
  }
  // Heap: a heap started, pages of two classes taken whole and more, some blocks put back, an
  // exit that parks whole then one that sorts, the left blocks freed, a trim.
  {
    std::vector<uint8_t> v = {0, 0, 0};
    for (int i = 0; i < 6; ++i) v.insert(v.end(), {1, 1, 79, 1, 4, 79});
    for (int i = 0; i < 20; ++i) v.insert(v.end(), {2, 0, static_cast<uint8_t>(i)});
    v.insert(v.end(), {3, 1, 0, 4, 0, 1, 0, 0, 0, 1, 4, 40, 4, 0, 2, 5, 0, 15, 5, 0, 15, 6, 0, 0});
    write(fs::path(argv[1]) / "corpus/heap_fuzz", 10, v);
  }
  std::printf("seed corpora written under %s/corpus\n", argv[1]);
  return 0;
}
