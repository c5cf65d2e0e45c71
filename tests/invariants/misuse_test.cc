// Misuse tests: each scenario runs in a forked child and must abort (SIGABRT) with the exact
// one-line report "hakmem: <kind> of 0x<addr> (box <box>, <ID>)" of alloc/registry/errors.def.
// These are caught in every build, not only the debug one.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "hakmem/check.h"
#include "hakmem/hakmem.h"

namespace {

constexpr char kAddr[] = "0x[0-9a-f]+";

std::string line(const char* kind, const char* box, const char* id) {
  return std::string("hakmem: ") + kind + " of " + kAddr + " \\(box " + box + ", " + id + "\\)";
}
const std::string kDoubleFree = line("double free", "page", "INV-PAGE-4");
// A block reports the box that owns it: a large mapping's misuse names the large box.
const std::string kLargeDoubleFree = line("double free", "large", "INV-LARGE-1");
// A small block's double free, by default (HAKMEM_REUSE_CHECK=1): found when the block would be
// handed out a second time (tests/alloc/reuse_check_test.cc covers both settings of the gate).
const std::string kStale = line("double free or write after free", "page", "INV-PAGE-4");

class Misuse : public testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "fast"); }
};

// Frees a block twice, then allocates its size until the allocator reports.
void double_free(size_t n) {
  void* p = hm_malloc(n);
  hm_free(p);
  hm_free(p);
  for (int i = 0; i < 100000; ++i) hm_malloc(n);
}

TEST_F(Misuse, DoubleFreeSmall) { EXPECT_EXIT(double_free(64), testing::KilledBySignal(SIGABRT), kStale); }
TEST_F(Misuse, DoubleFreeMedium) { EXPECT_EXIT(double_free(8 << 10), testing::KilledBySignal(SIGABRT), kStale); }
TEST_F(Misuse, DoubleFreeLarge) { EXPECT_EXIT(double_free(1 << 20), testing::KilledBySignal(SIGABRT), kLargeDoubleFree); }

TEST_F(Misuse, DoubleFreeAfterBinFlush) {
  // The first free's block has left the bin for its page (kept alive by `keep`) before the
  // second free. (Had the page emptied, its span would be gone and the free "invalid".)
  EXPECT_EXIT(
      {
        void* keep = hm_malloc(64);
        void* p = hm_malloc(64);
        (void)keep;
        hm_free(p);
        hm_thread_flush();
        hm_free(p);
        for (int i = 0; i < 100000; ++i) hm_malloc(64);
      },
      testing::KilledBySignal(SIGABRT), kStale);
}

TEST_F(Misuse, CrossThreadDoubleFree) {
  EXPECT_EXIT(
      {
        void* p = hm_malloc(96);
        std::thread([p] { hm_free(p); }).join();  // freed by another thread, which exits
        hm_free(p);
        for (int i = 0; i < 100000; ++i) hm_malloc(96);
        // (The first copy may wait in the exited thread's pooled heap: the next thread meets it.)
        std::thread([] {
          for (int i = 0; i < 100000; ++i) hm_malloc(96);
        }).join();
      },
      testing::KilledBySignal(SIGABRT), kStale);
}

TEST_F(Misuse, InteriorFree) {
  EXPECT_EXIT(
      {
        char* p = static_cast<char*>(hm_malloc(64));
        hm_free(p + 16);
      },
      testing::KilledBySignal(SIGABRT), line("interior free", "page", "INV-PAGE-2"));
}

TEST_F(Misuse, InteriorFreeLarge) {
  EXPECT_EXIT(
      {
        char* p = static_cast<char*>(hm_malloc(1 << 20));
        hm_free(p + 4096);
      },
      testing::KilledBySignal(SIGABRT), line("interior free", "large", "INV-LARGE-1"));
}

// A write just below a large block breaks its guard word: the free reports the underflow.
TEST_F(Misuse, UnderflowLarge) {
  EXPECT_EXIT(
      {
        char* p = static_cast<char*>(hm_malloc(1 << 20));
        std::memset(p - 8, 0x41, 8);
        hm_free(p);
      },
      testing::KilledBySignal(SIGABRT), line("heap underflow", "large", "INV-LARGE-1"));
}

TEST_F(Misuse, UnderflowLargeSeenByCheckBlock) {
  char* p = static_cast<char*>(hm_malloc(1 << 20));
  hm_check_result r{};
  EXPECT_EQ(hm_check_block(p, &r), 0);
  p[-3] ^= 0x55;
  EXPECT_EQ(hm_check_block(p, &r), 1);
  EXPECT_STREQ(r.id, "INV-LARGE-1");
  p[-3] ^= 0x55;
  hm_free(p);
}

TEST_F(Misuse, MisalignedFree) {
  EXPECT_EXIT(
      {
        char* p = static_cast<char*>(hm_malloc(64));
        hm_free(p + 1);
      },
      testing::KilledBySignal(SIGABRT), line("misaligned free", "front", "INV-PAGE-2"));
}

TEST_F(Misuse, ForeignStackPointer) {
  EXPECT_EXIT(
      {
        alignas(16) char buf[64];
        hm_free(buf);
      },
      testing::KilledBySignal(SIGABRT), line("invalid free", "front", "INV-SEGMENT-1"));
}

TEST_F(Misuse, ForeignGlibcPointer) {
  EXPECT_EXIT(
      {
        void* g = std::malloc(64);  // the system allocator's block: hakmem never returned it
        hm_free(g);
      },
      testing::KilledBySignal(SIGABRT), line("invalid free", "front", "INV-SEGMENT-1"));
}

TEST_F(Misuse, ReallocOfFreedSmall) {
  EXPECT_EXIT(
      {
        void* p = hm_malloc(100);
        hm_free(p);
        (void)hm_realloc(p, 200);
      },
      testing::KilledBySignal(SIGABRT), line("realloc after free", "page", "INV-PAGE-4"));
}

// A realloc that moves a small block frees the old one through the page it looked up before the
// copy: the old address is then a freed block, to a realloc and to a second free alike.
void* moved_from() {
  void* p = hm_malloc(100);
  void* q = hm_realloc(p, 1000);
  if (q == p || q == nullptr) std::_Exit(3);  // no move: the test has nothing to show
  return p;
}

TEST_F(Misuse, ReallocOfAMovedBlocksOldAddress) {
  EXPECT_EXIT((void)hm_realloc(moved_from(), 200), testing::KilledBySignal(SIGABRT),
              line("realloc after free", "page", "INV-PAGE-4"));
}

TEST_F(Misuse, FreeOfAMovedBlocksOldAddress) {
  EXPECT_EXIT(
      {
        hm_free(moved_from());
        for (int i = 0; i < 100000; ++i) hm_malloc(100);
      },
      testing::KilledBySignal(SIGABRT), kStale);
}

TEST_F(Misuse, ReallocOfFreedLarge) {
  EXPECT_EXIT(
      {
        void* p = hm_malloc(1 << 20);
        hm_free(p);
        (void)hm_realloc(p, 2 << 20);
      },
      testing::KilledBySignal(SIGABRT), line("realloc after free", "large", "INV-LARGE-1"));
}

TEST_F(Misuse, UsableSizeOfForeignPointer) {
  EXPECT_EXIT(
      {
        alignas(16) char buf[64];
        (void)hm_malloc_usable_size(buf);
      },
      testing::KilledBySignal(SIGABRT), line("malloc_usable_size of invalid pointer", "front", "INV-SEGMENT-1"));
}

// The report is one report: the human line once, and one JSON line naming the same kind.
TEST_F(Misuse, OneReportWithJsonLine) {
  EXPECT_EXIT(double_free(64), testing::KilledBySignal(SIGABRT),
              kStale + "\n(.|\n)*\\{\"hakmem_report\":1,\"type\":\"misuse\",\"kind\":\"double free or write after free\"");
}

}  // namespace
