// Public API edge cases with glibc 2.36 semantics.
//
// The expectations are written once against an "API table" (function pointers) and run
// against two tables:
//   glibc   - the C library's own malloc, posix_memalign, ... (built as front_api_glibc_test);
//             this variant proves that every expectation below really is glibc's behaviour.
//   hakmem  - the prefixed hm_* entry points from include/hakmem/hakmem.h
//             (built as front_api_hakmem_test, linked with the static library `hakmem`).
// Which tables exist is chosen by HAKMEM_API_TEST_GLIBC / HAKMEM_API_TEST_HAKMEM.
#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#if defined(HAKMEM_API_TEST_HAKMEM)
#include "hakmem/hakmem.h"
#endif

namespace {

struct Api {
  const char* name;
  void* (*malloc)(size_t);
  void (*free)(void*);
  void* (*calloc)(size_t, size_t);
  void* (*realloc)(void*, size_t);
  void* (*reallocarray)(void*, size_t, size_t);
  void* (*aligned_alloc)(size_t, size_t);
  int (*posix_memalign)(void**, size_t, size_t);
  void* (*memalign)(size_t, size_t);
  void* (*valloc)(size_t);
  void* (*pvalloc)(size_t);
  size_t (*malloc_usable_size)(void*);
  int (*malloc_trim)(size_t);
};

#if defined(HAKMEM_API_TEST_GLIBC)
const Api kGlibc = {"glibc",         ::malloc,        ::free,   ::calloc,  ::realloc,
                    ::reallocarray,  ::aligned_alloc, ::posix_memalign,    ::memalign,
                    ::valloc,        ::pvalloc,       ::malloc_usable_size, ::malloc_trim};
#endif
#if defined(HAKMEM_API_TEST_HAKMEM)
const Api kHakmem = {"hakmem",          hm_malloc,        hm_free,   hm_calloc,  hm_realloc,
                     hm_reallocarray,   hm_aligned_alloc, hm_posix_memalign,     hm_memalign,
                     hm_valloc,         hm_pvalloc,       hm_malloc_usable_size, hm_trim};
#endif

// Sizes pass through a volatile so the compiler cannot reason about (or warn on) the
// impossible requests below.
volatile size_t g_opaque;
size_t Opaque(size_t v) {
  g_opaque = v;
  return g_opaque;
}

constexpr size_t kSizeMax = std::numeric_limits<size_t>::max();
constexpr size_t kPtrdiffMax = static_cast<size_t>(std::numeric_limits<ptrdiff_t>::max());
constexpr size_t kUnmappable = size_t{1} << 62;  // in range, but beyond any address space
constexpr size_t kKiB = 1024, kMiB = 1024 * 1024;

// Requests that must fail with ENOMEM for every allocation entry point.
const size_t kHugeSizes[] = {kSizeMax, kSizeMax - 4096, kPtrdiffMax + 1, kPtrdiffMax, kUnmappable};

// Small to several MiB, crossing every plausible size-class and large-allocation boundary.
std::vector<size_t> SizeLadder() {
  std::vector<size_t> v = {1, 2, 7, 8, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64, 65, 100, 127, 128,
                           129, 255, 256, 257, 500, 511, 512, 513, 1000, 1023, 1024, 1025, 2047,
                           2048, 2049, 4095, 4096, 4097, 8191, 8192, 8193, 16 * kKiB + 1,
                           32 * kKiB - 1, 32 * kKiB, 32 * kKiB + 1, 64 * kKiB - 1, 64 * kKiB,
                           64 * kKiB + 1, 128 * kKiB + 1, 256 * kKiB, 512 * kKiB + 3, kMiB - 1,
                           kMiB, kMiB + 1, 2 * kMiB + 17, 4 * kMiB, 6 * kMiB + 5};
  return v;
}

bool AlignedTo(const void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

size_t PageSize() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

unsigned char PatternByte(size_t i, unsigned seed) {
  return static_cast<unsigned char>((i * 131u + seed * 7u + (i >> 8)) & 0xff);
}
void Fill(void* p, size_t n, unsigned seed) {
  auto* b = static_cast<unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) b[i] = PatternByte(i, seed);
}
// Index of the first byte that does not match the pattern, or n.
size_t FirstMismatch(const void* p, size_t n, unsigned seed) {
  auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != PatternByte(i, seed)) return i;
  }
  return n;
}
size_t FirstNonZero(const void* p, size_t n) {
  auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != 0) return i;
  }
  return n;
}

size_t NextPow2(size_t v) {
  size_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

class ApiTest : public ::testing::TestWithParam<const Api*> {
 protected:
  const Api& api() const { return *GetParam(); }
};

// ---------------------------------------------------------------- malloc / free

TEST_P(ApiTest, MallocZeroIsNonNullUniqueAndFreeable) {
  void* a = api().malloc(Opaque(0));
  void* b = api().malloc(Opaque(0));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b) << "two live malloc(0) blocks must be distinct";
  EXPECT_TRUE(AlignedTo(a, 16)) << a;
  api().free(a);
  api().free(b);
}

TEST_P(ApiTest, MallocHugeFailsWithEnomem) {
  for (size_t n : kHugeSizes) {
    errno = 0;
    void* p = api().malloc(Opaque(n));
    EXPECT_EQ(p, nullptr) << "malloc(" << n << ")";
    EXPECT_EQ(errno, ENOMEM) << "malloc(" << n << ")";
    api().free(p);
  }
}

TEST_P(ApiTest, FreeNullIsNoOp) {
  errno = 1234;
  api().free(nullptr);
  EXPECT_EQ(errno, 1234);
}

TEST_P(ApiTest, MallocResultsAre16ByteAlignedWritableAndUsableSizeCoversRequest) {
  for (size_t n : SizeLadder()) {
    auto* p = static_cast<unsigned char*>(api().malloc(Opaque(n)));
    ASSERT_NE(p, nullptr) << "malloc(" << n << ")";
    EXPECT_TRUE(AlignedTo(p, 16)) << "malloc(" << n << ") = " << static_cast<void*>(p);
    size_t usable = api().malloc_usable_size(p);
    EXPECT_GE(usable, n) << "malloc_usable_size(malloc(" << n << "))";
    // The whole usable size may be written (glibc documents this).
    Fill(p, usable, 3);
    EXPECT_EQ(FirstMismatch(p, usable, 3), usable) << "size " << n;
    api().free(p);
  }
}

// malloc_trim after many frees releases memory (returns 1), keeps live blocks intact, and
// answers 0 or 1 whatever the pad.
TEST_P(ApiTest, MallocTrimReleasesFreedMemoryAndKeepsLiveBlocks) {
  std::vector<void*> v;
  for (int i = 0; i < 4096; ++i) v.push_back(api().malloc(4000));
  void* live = api().malloc(300);
  Fill(live, 300, 9);
  for (void* p : v) api().free(p);
  EXPECT_EQ(api().malloc_trim(0), 1);
  EXPECT_EQ(FirstMismatch(live, 300, 9), 300u);
  int again = api().malloc_trim(kSizeMax / 2);
  EXPECT_TRUE(again == 0 || again == 1) << again;
  EXPECT_EQ(FirstMismatch(live, 300, 9), 300u);
  api().free(live);
}

TEST_P(ApiTest, MallocUsableSizeOfNullIsZero) {
  EXPECT_EQ(api().malloc_usable_size(nullptr), 0u);
}

// Many live blocks of mixed sizes: all distinct, none overlapping, none corrupted by the
// others' writes (each block is filled over its whole usable size).
TEST_P(ApiTest, LiveBlocksDoNotOverlap) {
  struct Block {
    unsigned char* p;
    size_t usable;
  };
  std::vector<Block> blocks;
  const std::vector<size_t> ladder = SizeLadder();
  for (unsigned i = 0; i < 2000; ++i) {
    size_t n = ladder[(i * 7) % ladder.size()];
    if (n > 64 * kKiB) n = (i % 5 == 0) ? n : 1 + i % 600;  // keep the total modest
    auto* p = static_cast<unsigned char*>(api().malloc(Opaque(n)));
    ASSERT_NE(p, nullptr) << "malloc(" << n << ")";
    size_t usable = api().malloc_usable_size(p);
    ASSERT_GE(usable, n);
    Fill(p, usable, i);
    blocks.push_back({p, usable});
  }
  std::set<uintptr_t> starts;
  for (unsigned i = 0; i < blocks.size(); ++i) {
    EXPECT_TRUE(starts.insert(reinterpret_cast<uintptr_t>(blocks[i].p)).second)
        << "duplicate block " << static_cast<void*>(blocks[i].p);
    EXPECT_EQ(FirstMismatch(blocks[i].p, blocks[i].usable, i), blocks[i].usable)
        << "block " << i << " of usable size " << blocks[i].usable << " was overwritten";
  }
  for (auto& b : blocks) api().free(b.p);
}

// ---------------------------------------------------------------- calloc

TEST_P(ApiTest, CallocOverflowFailsWithEnomem) {
  struct Case {
    size_t n, size;
  } cases[] = {{kSizeMax, 2},           {2, kSizeMax},          {kSizeMax / 2 + 1, 2},
               {size_t{1} << 32, size_t{1} << 32},               {kSizeMax, kSizeMax},
               {kPtrdiffMax / 2 + 1, 2} /* product PTRDIFF_MAX+1, no wrap */,
               {1, kSizeMax},           {kUnmappable, 1}};
  for (auto c : cases) {
    errno = 0;
    void* p = api().calloc(Opaque(c.n), Opaque(c.size));
    EXPECT_EQ(p, nullptr) << "calloc(" << c.n << ", " << c.size << ")";
    EXPECT_EQ(errno, ENOMEM) << "calloc(" << c.n << ", " << c.size << ")";
    api().free(p);
  }
}

TEST_P(ApiTest, CallocZeroCountOrSizeIsNonNull) {
  for (auto [n, s] : {std::pair<size_t, size_t>{0, 0}, {0, 16}, {16, 0}, {0, kSizeMax},
                      {kSizeMax, 0}}) {
    void* p = api().calloc(Opaque(n), Opaque(s));
    EXPECT_NE(p, nullptr) << "calloc(" << n << ", " << s << ")";
    api().free(p);
  }
}

TEST_P(ApiTest, CallocZeroesFreshBlocks) {
  for (size_t n : SizeLadder()) {
    void* p = api().calloc(1, Opaque(n));
    ASSERT_NE(p, nullptr) << "calloc(1, " << n << ")";
    EXPECT_TRUE(AlignedTo(p, 16));
    EXPECT_EQ(FirstNonZero(p, n), n) << "calloc(1, " << n << ") not zeroed";
    api().free(p);
  }
}

// Dirty a block of the same size, free it, calloc the same size: a reused block must be
// zeroed too. Repeated with several dirty blocks so a cache that hands them back is hit.
TEST_P(ApiTest, CallocZeroesReusedDirtyBlocks) {
  for (size_t n : SizeLadder()) {
    for (int round = 0; round < 3; ++round) {
      void* dirty[4];
      for (auto& d : dirty) {
        d = api().malloc(Opaque(n));
        ASSERT_NE(d, nullptr);
        std::memset(d, 0xA5, api().malloc_usable_size(d));
      }
      for (auto& d : dirty) api().free(d);
      void* again[4];
      for (auto& a : again) {
        // calloc(n/elem, elem) style as well as calloc(1, n).
        a = (round == 1 && n % 8 == 0) ? api().calloc(Opaque(n / 8), 8) : api().calloc(Opaque(n), 1);
        ASSERT_NE(a, nullptr);
        EXPECT_EQ(FirstNonZero(a, n), n) << "calloc of size " << n << " returned dirty memory";
      }
      for (auto& a : again) api().free(a);
    }
  }
}

// ---------------------------------------------------------------- realloc / reallocarray

TEST_P(ApiTest, ReallocNullActsAsMalloc) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{5000}, 2 * kMiB}) {
    void* p = api().realloc(nullptr, Opaque(n));
    ASSERT_NE(p, nullptr) << "realloc(NULL, " << n << ")";
    EXPECT_TRUE(AlignedTo(p, 16));
    EXPECT_GE(api().malloc_usable_size(p), n);
    Fill(p, n, 1);
    api().free(p);
  }
}

TEST_P(ApiTest, ReallocToZeroFreesAndReturnsNull) {
  for (size_t n : {size_t{1}, size_t{64}, size_t{4000}, 3 * kMiB}) {
    void* p = api().malloc(Opaque(n));
    ASSERT_NE(p, nullptr);
    errno = 0;
    EXPECT_EQ(api().realloc(p, Opaque(0)), nullptr) << "realloc(p, 0) for a block of " << n;
    EXPECT_EQ(errno, 0) << "realloc(p, 0) must not report an error";
    // p is freed now; the heap must still work.
    void* q = api().malloc(Opaque(n));
    ASSERT_NE(q, nullptr);
    api().free(q);
  }
}

TEST_P(ApiTest, ReallocHugeFailsWithEnomemAndKeepsBlock) {
  for (size_t start : {size_t{24}, size_t{1000}, 100 * kKiB, 2 * kMiB}) {
    void* p = api().malloc(Opaque(start));
    ASSERT_NE(p, nullptr);
    Fill(p, start, 9);
    for (size_t n : kHugeSizes) {
      errno = 0;
      void* q = api().realloc(p, Opaque(n));
      EXPECT_EQ(q, nullptr) << "realloc(" << start << "-byte block, " << n << ")";
      EXPECT_EQ(errno, ENOMEM) << "realloc(" << start << "-byte block, " << n << ")";
      if (q != nullptr) p = q;  // keep the test's own bookkeeping sane
    }
    EXPECT_EQ(FirstMismatch(p, start, 9), start) << "contents damaged by failed realloc";
    EXPECT_GE(api().malloc_usable_size(p), start);
    // Still a live, resizable block.
    void* r = api().realloc(p, Opaque(start + 1));
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(FirstMismatch(r, start, 9), start);
    api().free(r);
  }
}

// Grow one byte-pattern block step by step from 1 byte to several MiB and back down:
// the common prefix must survive every move between size classes and into large sizes.
TEST_P(ApiTest, ReallocPreservesPrefixAcrossClasses) {
  std::vector<size_t> up = SizeLadder();
  std::vector<size_t> steps = up;
  steps.insert(steps.end(), up.rbegin(), up.rend());
  // Also some big jumps in both directions.
  for (size_t n : {size_t{3}, 5 * kMiB, size_t{40}, 300 * kKiB, size_t{1}, kMiB + 7, size_t{17}}) {
    steps.push_back(n);
  }
  size_t cur = 1;
  void* p = api().malloc(cur);
  ASSERT_NE(p, nullptr);
  Fill(p, cur, 5);
  for (size_t n : steps) {
    void* q = api().realloc(p, Opaque(n));
    ASSERT_NE(q, nullptr) << "realloc from " << cur << " to " << n;
    EXPECT_TRUE(AlignedTo(q, 16));
    EXPECT_GE(api().malloc_usable_size(q), n);
    size_t keep = cur < n ? cur : n;
    ASSERT_EQ(FirstMismatch(q, keep, 5), keep) << "realloc from " << cur << " to " << n;
    Fill(q, n, 5);
    p = q;
    cur = n;
  }
  api().free(p);
}

// Growing inside the block's own usable size is allowed to stay in place but must not lose
// data; growing many blocks interleaved exercises moves with neighbours alive.
TEST_P(ApiTest, ReallocInterleavedBlocksKeepTheirOwnContents) {
  constexpr int kBlocks = 64;
  void* p[kBlocks];
  size_t sz[kBlocks];
  for (int i = 0; i < kBlocks; ++i) {
    sz[i] = 1 + static_cast<size_t>(i) * 3;
    p[i] = api().malloc(sz[i]);
    ASSERT_NE(p[i], nullptr);
    Fill(p[i], sz[i], static_cast<unsigned>(i));
  }
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < kBlocks; ++i) {
      size_t n = (round % 2 == 0) ? sz[i] * 3 + 5 : sz[i] / 2 + 1;
      void* q = api().realloc(p[i], Opaque(n));
      ASSERT_NE(q, nullptr);
      size_t keep = sz[i] < n ? sz[i] : n;
      ASSERT_EQ(FirstMismatch(q, keep, static_cast<unsigned>(i)), keep)
          << "block " << i << " round " << round;
      Fill(q, n, static_cast<unsigned>(i));
      p[i] = q;
      sz[i] = n;
    }
  }
  for (int i = 0; i < kBlocks; ++i) {
    EXPECT_EQ(FirstMismatch(p[i], sz[i], static_cast<unsigned>(i)), sz[i]) << "block " << i;
    api().free(p[i]);
  }
}

TEST_P(ApiTest, ReallocarrayOverflowFailsWithEnomemAndKeepsBlock) {
  void* p = api().malloc(64);
  ASSERT_NE(p, nullptr);
  Fill(p, 64, 11);
  struct Case {
    size_t n, size;
  } cases[] = {{kSizeMax / 2, 3}, {3, kSizeMax / 2}, {size_t{1} << 33, size_t{1} << 31},
               {kSizeMax, kSizeMax}, {kPtrdiffMax / 2 + 1, 2}};
  for (auto c : cases) {
    errno = 0;
    void* q = api().reallocarray(p, Opaque(c.n), Opaque(c.size));
    EXPECT_EQ(q, nullptr) << "reallocarray(p, " << c.n << ", " << c.size << ")";
    EXPECT_EQ(errno, ENOMEM) << "reallocarray(p, " << c.n << ", " << c.size << ")";
    if (q != nullptr) p = q;
  }
  EXPECT_EQ(FirstMismatch(p, 64, 11), 64u) << "old block damaged";
  errno = 0;
  EXPECT_EQ(api().reallocarray(nullptr, Opaque(kSizeMax / 2), 3), nullptr);
  EXPECT_EQ(errno, ENOMEM) << "reallocarray(NULL, overflow)";
  api().free(p);
}

TEST_P(ApiTest, ReallocarrayResizesLikeRealloc) {
  auto* p = static_cast<unsigned char*>(api().reallocarray(nullptr, Opaque(10), 4));
  ASSERT_NE(p, nullptr) << "reallocarray(NULL, 10, 4)";
  EXPECT_GE(api().malloc_usable_size(p), 40u);
  Fill(p, 40, 2);
  p = static_cast<unsigned char*>(api().reallocarray(p, Opaque(1000), 40));
  ASSERT_NE(p, nullptr);
  EXPECT_GE(api().malloc_usable_size(p), 40000u);
  EXPECT_EQ(FirstMismatch(p, 40, 2), 40u);
  // reallocarray(p, 0, n) is realloc(p, 0): frees p and returns NULL in glibc 2.36.
  errno = 0;
  EXPECT_EQ(api().reallocarray(p, 0, Opaque(5)), nullptr);
  EXPECT_EQ(errno, 0);
}

// ---------------------------------------------------------------- posix_memalign

TEST_P(ApiTest, PosixMemalignRejectsBadAlignmentWithEinval) {
  // Not a power of two, or not a multiple of sizeof(void*), or zero.
  for (size_t a : {size_t{0}, size_t{1}, size_t{2}, size_t{4}, size_t{12}, size_t{24}, size_t{48},
                   size_t{100}, size_t{4097}, kSizeMax, kSizeMax / 2 + 2}) {
    void* sentinel = reinterpret_cast<void*>(uintptr_t{0x1234});
    void* p = sentinel;
    errno = 777;
    int rc = api().posix_memalign(&p, Opaque(a), 64);
    EXPECT_EQ(rc, EINVAL) << "posix_memalign alignment " << a;
    EXPECT_EQ(p, sentinel) << "*p must be untouched, alignment " << a;
    EXPECT_EQ(errno, 777) << "errno must be unchanged, alignment " << a;
  }
}

// glibc 2.36 returns ENOMEM, leaves *p untouched, and (as a side effect of its internal
// allocation path) also sets errno to ENOMEM. Note: calling glibc's posix_memalign directly
// in C with GCC can hide this, because GCC's builtin model assumes posix_memalign does not
// write errno; through a function pointer the real behaviour shows.
TEST_P(ApiTest, PosixMemalignHugeFailsWithEnomemAndLeavesOutput) {
  struct Case {
    size_t align, size;
  } cases[] = {{16, kSizeMax},           {4096, kSizeMax},      {64, kPtrdiffMax + 1},
               {4096, kUnmappable},      {kMiB, kSizeMax - kMiB},
               {kSizeMax / 2 + 1, 1} /* valid alignment 2^63, unsatisfiable */};
  for (auto c : cases) {
    void* sentinel = reinterpret_cast<void*>(uintptr_t{0x5678});
    void* p = sentinel;
    errno = 777;
    int rc = api().posix_memalign(&p, Opaque(c.align), Opaque(c.size));
    EXPECT_EQ(rc, ENOMEM) << "posix_memalign(" << c.align << ", " << c.size << ")";
    EXPECT_EQ(p, sentinel) << "*p must be untouched";
    EXPECT_EQ(errno, ENOMEM) << "posix_memalign(" << c.align << ", " << c.size << ")";
  }
}

TEST_P(ApiTest, PosixMemalignHonoursAlignment) {
  for (size_t a = sizeof(void*); a <= 4 * kMiB; a *= 2) {
    for (size_t n : {size_t{0}, size_t{1}, a / 2 + 1, a, a + 1, 3 * a + 5}) {
      void* p = nullptr;
      errno = 777;
      int rc = api().posix_memalign(&p, Opaque(a), Opaque(n));
      ASSERT_EQ(rc, 0) << "posix_memalign(" << a << ", " << n << ")";
      ASSERT_NE(p, nullptr);
      EXPECT_EQ(errno, 777);
      EXPECT_TRUE(AlignedTo(p, a)) << "alignment " << a << " size " << n << " got " << p;
      EXPECT_TRUE(AlignedTo(p, 16));
      EXPECT_GE(api().malloc_usable_size(p), n);
      if (n > 0) {
        Fill(p, n, 4);
        EXPECT_EQ(FirstMismatch(p, n, 4), n);
      }
      api().free(p);
    }
  }
}

// Aligned blocks are ordinary blocks: realloc and calloc-style use must work on them.
TEST_P(ApiTest, AlignedBlocksCanBeReallocated) {
  for (size_t a : {size_t{64}, size_t{4096}, 64 * kKiB, kMiB}) {
    void* p = nullptr;
    ASSERT_EQ(api().posix_memalign(&p, a, 1000), 0);
    Fill(p, 1000, 8);
    void* q = api().realloc(p, Opaque(200 * kKiB));
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(FirstMismatch(q, 1000, 8), 1000u) << "alignment " << a;
    q = api().realloc(q, Opaque(10));
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(FirstMismatch(q, 10, 8), 10u) << "alignment " << a;
    api().free(q);
  }
}

// ---------------------------------------------------------------- aligned_alloc / memalign

TEST_P(ApiTest, AlignedAllocAcceptsSizeNotMultipleOfAlignment) {
  void* p = api().aligned_alloc(Opaque(4096), Opaque(100));
  ASSERT_NE(p, nullptr) << "aligned_alloc(4096, 100)";
  EXPECT_TRUE(AlignedTo(p, 4096));
  EXPECT_GE(api().malloc_usable_size(p), 100u);
  api().free(p);
}

TEST_P(ApiTest, AlignedAllocAndMemalignHonourLargeAlignments) {
  for (size_t a : {size_t{16}, size_t{32}, size_t{64}, size_t{256}, size_t{4096}, 64 * kKiB,
                   kMiB, 4 * kMiB}) {
    for (size_t n : {size_t{1}, size_t{100}, a, 2 * a + 3}) {
      void* p = api().aligned_alloc(Opaque(a), Opaque(n));
      ASSERT_NE(p, nullptr) << "aligned_alloc(" << a << ", " << n << ")";
      EXPECT_TRUE(AlignedTo(p, a)) << "aligned_alloc(" << a << ", " << n << ") = " << p;
      EXPECT_GE(api().malloc_usable_size(p), n);
      Fill(p, n, 6);
      void* q = api().memalign(Opaque(a), Opaque(n));
      ASSERT_NE(q, nullptr) << "memalign(" << a << ", " << n << ")";
      EXPECT_TRUE(AlignedTo(q, a)) << "memalign(" << a << ", " << n << ") = " << q;
      EXPECT_GE(api().malloc_usable_size(q), n);
      Fill(q, n, 7);
      EXPECT_EQ(FirstMismatch(p, n, 6), n);
      api().free(p);
      api().free(q);
    }
  }
}

// glibc 2.36: aligned_alloc is memalign. A non-power-of-two (or zero, or tiny) alignment is
// NOT rejected; it is rounded up to the next power of two (at least 2*MALLOC_ALIGNMENT), and
// the call succeeds. Only alignments above SIZE_MAX/2+1 fail, with EINVAL.
// (glibc 2.38 changed aligned_alloc to reject non-powers of two; 2.36 is the reference.)
TEST_P(ApiTest, AlignedAllocNonPowerOfTwoAlignmentIsRoundedUp) {
  for (size_t a : {size_t{0}, size_t{1}, size_t{3}, size_t{24}, size_t{48}, size_t{100},
                   size_t{3000}, size_t{5000}, 96 * kKiB}) {
    size_t want = NextPow2(a);
    if (want < 16) want = 16;
    errno = 0;
    void* p = api().aligned_alloc(Opaque(a), 100);
    ASSERT_NE(p, nullptr) << "aligned_alloc(" << a << ", 100)";
    EXPECT_EQ(errno, 0);
    EXPECT_TRUE(AlignedTo(p, want)) << "aligned_alloc(" << a << ", 100) = " << p
                                    << " not aligned to " << want;
    api().free(p);
    p = api().memalign(Opaque(a), 100);
    ASSERT_NE(p, nullptr) << "memalign(" << a << ", 100)";
    EXPECT_TRUE(AlignedTo(p, want)) << "memalign(" << a << ", 100) = " << p;
    api().free(p);
  }
}

TEST_P(ApiTest, AlignedAllocAndMemalignRejectImpossibleAlignmentWithEinval) {
  for (size_t a : {kSizeMax / 2 + 2, kSizeMax - 4095, kSizeMax}) {
    errno = 0;
    EXPECT_EQ(api().aligned_alloc(Opaque(a), 16), nullptr) << "aligned_alloc(" << a << ", 16)";
    EXPECT_EQ(errno, EINVAL) << "aligned_alloc(" << a << ", 16)";
    errno = 0;
    EXPECT_EQ(api().memalign(Opaque(a), 16), nullptr) << "memalign(" << a << ", 16)";
    EXPECT_EQ(errno, EINVAL) << "memalign(" << a << ", 16)";
  }
}

TEST_P(ApiTest, AlignedAllocAndMemalignHugeFailWithEnomem) {
  struct Case {
    size_t align, size;
  } cases[] = {{16, kSizeMax},      {4096, kSizeMax},         {4096, kUnmappable},
               {64, kPtrdiffMax + 1}, {kSizeMax / 2 + 1, 16}, {kMiB, kSizeMax - kMiB}};
  for (auto c : cases) {
    errno = 0;
    EXPECT_EQ(api().aligned_alloc(Opaque(c.align), Opaque(c.size)), nullptr)
        << "aligned_alloc(" << c.align << ", " << c.size << ")";
    EXPECT_EQ(errno, ENOMEM) << "aligned_alloc(" << c.align << ", " << c.size << ")";
    errno = 0;
    EXPECT_EQ(api().memalign(Opaque(c.align), Opaque(c.size)), nullptr)
        << "memalign(" << c.align << ", " << c.size << ")";
    EXPECT_EQ(errno, ENOMEM) << "memalign(" << c.align << ", " << c.size << ")";
  }
}

TEST_P(ApiTest, MemalignZeroSizeIsNonNull) {
  for (size_t a : {size_t{16}, size_t{64}, size_t{4096}}) {
    void* p = api().memalign(Opaque(a), 0);
    ASSERT_NE(p, nullptr) << "memalign(" << a << ", 0)";
    EXPECT_TRUE(AlignedTo(p, a));
    api().free(p);
    p = api().aligned_alloc(Opaque(a), 0);
    ASSERT_NE(p, nullptr) << "aligned_alloc(" << a << ", 0)";
    EXPECT_TRUE(AlignedTo(p, a));
    api().free(p);
  }
}

// ---------------------------------------------------------------- valloc / pvalloc

TEST_P(ApiTest, VallocIsPageAligned) {
  const size_t page = PageSize();
  for (size_t n : {size_t{0}, size_t{1}, size_t{100}, page - 1, page, page + 1, 3 * page + 7,
                   2 * kMiB + 1}) {
    void* p = api().valloc(Opaque(n));
    ASSERT_NE(p, nullptr) << "valloc(" << n << ")";
    EXPECT_TRUE(AlignedTo(p, page)) << "valloc(" << n << ") = " << p;
    EXPECT_GE(api().malloc_usable_size(p), n);
    if (n > 0) Fill(p, n, 1);
    api().free(p);
  }
}

TEST_P(ApiTest, PvallocRoundsUpToWholePages) {
  const size_t page = PageSize();
  for (size_t n : {size_t{1}, size_t{100}, page - 1, page, page + 1, 3 * page + 7, 2 * kMiB + 1}) {
    void* p = api().pvalloc(Opaque(n));
    ASSERT_NE(p, nullptr) << "pvalloc(" << n << ")";
    EXPECT_TRUE(AlignedTo(p, page)) << "pvalloc(" << n << ") = " << p;
    size_t rounded = (n + page - 1) / page * page;
    size_t usable = api().malloc_usable_size(p);
    EXPECT_GE(usable, rounded) << "pvalloc(" << n << ") must provide whole pages";
    Fill(p, rounded, 2);
    EXPECT_EQ(FirstMismatch(p, rounded, 2), rounded);
    api().free(p);
  }
}

// glibc 2.36's pvalloc(0) returns a non-NULL, page-aligned block (its usable size is only
// the minimum chunk, not a page, so only non-NULL + page alignment are glibc semantics).
TEST_P(ApiTest, PvallocZeroReturnsPageAlignedBlock) {
  void* p = api().pvalloc(Opaque(0));
  ASSERT_NE(p, nullptr) << "pvalloc(0)";
  EXPECT_TRUE(AlignedTo(p, PageSize())) << p;
  api().free(p);
}

TEST_P(ApiTest, VallocAndPvallocHugeFailWithEnomem) {
  for (size_t n : kHugeSizes) {
    errno = 0;
    EXPECT_EQ(api().valloc(Opaque(n)), nullptr) << "valloc(" << n << ")";
    EXPECT_EQ(errno, ENOMEM) << "valloc(" << n << ")";
    errno = 0;
    EXPECT_EQ(api().pvalloc(Opaque(n)), nullptr) << "pvalloc(" << n << ")";
    EXPECT_EQ(errno, ENOMEM) << "pvalloc(" << n << ")";
  }
}

// ---------------------------------------------------------------- mixing entry points

// Any block from any entry point is released with free and resized with realloc.
TEST_P(ApiTest, EveryEntryPointsBlocksAreFreeableAndReallocatable) {
  const size_t page = PageSize();
  std::vector<void*> blocks;
  for (size_t n : {size_t{8}, size_t{200}, size_t{9000}, 300 * kKiB}) {
    blocks.push_back(api().malloc(n));
    blocks.push_back(api().calloc(n, 1));
    blocks.push_back(api().realloc(nullptr, n));
    blocks.push_back(api().reallocarray(nullptr, n, 1));
    blocks.push_back(api().aligned_alloc(256, n));
    void* p = nullptr;
    EXPECT_EQ(api().posix_memalign(&p, 128, n), 0);
    blocks.push_back(p);
    blocks.push_back(api().memalign(2048, n));
    blocks.push_back(api().valloc(n));
    blocks.push_back(api().pvalloc(n));
  }
  unsigned seed = 0;
  for (void*& b : blocks) {
    ASSERT_NE(b, nullptr);
    Fill(b, 8, seed);
    b = api().realloc(b, Opaque(page * 3 + seed));
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(FirstMismatch(b, 8, seed), 8u) << "block " << seed;
    ++seed;
  }
  for (void* b : blocks) api().free(b);
}

#if defined(HAKMEM_API_TEST_HAKMEM)
// hakmem-only entry points of the public header (no glibc counterpart).

TEST(HakmemOnlyApi, FreeSizedAndFreeAlignedReleaseMatchingBlocks) {
  for (int round = 0; round < 3; ++round) {
    std::vector<std::pair<void*, size_t>> sized;
    for (size_t n : SizeLadder()) {
      void* p = hm_malloc(n);
      ASSERT_NE(p, nullptr);
      Fill(p, n, 1);
      sized.emplace_back(p, n);
    }
    for (auto [p, n] : sized) hm_free_sized(p, n);
    for (size_t a : {size_t{16}, size_t{64}, size_t{4096}, 64 * kKiB, 2 * kMiB}) {
      void* p = hm_aligned_alloc(a, 3 * a + 1);
      ASSERT_NE(p, nullptr);
      ASSERT_TRUE(AlignedTo(p, a));
      Fill(p, 3 * a + 1, 2);
      hm_free_aligned(p, a);
    }
  }
  hm_free_sized(nullptr, 16);
  hm_free_aligned(nullptr, 64);
  // The heap still works and hands out zeroed memory after all that.
  void* q = hm_calloc(100, 100);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(FirstNonZero(q, 10000), 10000u);
  hm_free(q);
}

TEST(HakmemOnlyApi, ThreadFlushKeepsLiveBlocksIntact) {
  std::vector<std::pair<void*, size_t>> live;
  for (unsigned i = 0; i < 3000; ++i) {
    size_t n = 1 + (i * 53) % 2000;
    void* p = hm_malloc(n);
    ASSERT_NE(p, nullptr);
    Fill(p, n, i);
    live.emplace_back(p, n);
  }
  for (size_t i = 0; i < live.size(); i += 2) hm_free(live[i].first);  // half go to the cache
  hm_thread_flush();
  for (size_t i = 1; i < live.size(); i += 2) {
    EXPECT_EQ(FirstMismatch(live[i].first, live[i].second, static_cast<unsigned>(i)),
              live[i].second)
        << "live block " << i << " damaged by hm_thread_flush";
    hm_free(live[i].first);
  }
  hm_thread_flush();
  hm_thread_flush();  // idempotent
  void* p = hm_malloc(64);
  ASSERT_NE(p, nullptr);
  hm_free(p);
}

// HAKMEM_COARSE_CLASSES is read at start-up: each value runs in a re-executed child.
TEST(HakmemOnlyApi, CoarseClassesGateChoosesTheBlockSizes) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  struct Case {
    const char* gate;
    size_t usable_300, usable_600, usable_200;
  };
  for (Case c : {Case{"0", 304, 608, 208}, Case{"1", 320, 640, 208}}) {
    setenv("HAKMEM_COARSE_CLASSES", c.gate, 1);
    EXPECT_EXIT(
        {
          void* a = hm_malloc(300);
          void* b = hm_malloc(600);
          void* d = hm_malloc(200);
          bool ok = hm_malloc_usable_size(a) == c.usable_300 && hm_malloc_usable_size(b) == c.usable_600 &&
                    hm_malloc_usable_size(d) == c.usable_200;
          hm_free(a);
          hm_free(b);
          hm_free(d);
          std::exit(ok ? 0 : 1);
        },
        testing::ExitedWithCode(0), "")
        << "HAKMEM_COARSE_CLASSES=" << c.gate;
  }
  unsetenv("HAKMEM_COARSE_CLASSES");
}

TEST(HakmemOnlyApi, RegistryJsonIsOneObject) {
  const char* j = hm_registry_json();
  ASSERT_NE(j, nullptr);
  std::string s(j);
  ASSERT_FALSE(s.empty());
  size_t first = s.find_first_not_of(" \t\r\n");
  size_t last = s.find_last_not_of(" \t\r\n");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(s[first], '{') << s.substr(0, 200);
  EXPECT_EQ(s[last], '}') << s.substr(s.size() > 200 ? s.size() - 200 : 0);
  EXPECT_EQ(hm_registry_json(), j) << "static storage: the same document each call";
}
#endif

std::string ApiName(const ::testing::TestParamInfo<const Api*>& info) { return info.param->name; }

#if defined(HAKMEM_API_TEST_GLIBC)
INSTANTIATE_TEST_SUITE_P(Glibc, ApiTest, ::testing::Values(&kGlibc), ApiName);
#endif
#if defined(HAKMEM_API_TEST_HAKMEM)
INSTANTIATE_TEST_SUITE_P(Hakmem, ApiTest, ::testing::Values(&kHakmem), ApiName);
#endif

}  // namespace
