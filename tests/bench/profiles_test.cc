// The workloads of bench/workloads/ run over a recording allocator: what each
// profile promises (who frees what, sizes, how many blocks live, lifetimes,
// the kernel's share of the timed region) is checked, never how fast it runs.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <type_traits>

#include "workloads/profiles_buffers.h"
#include "workloads/profiles_bulk.h"
#include "workloads/profiles_large.h"
#include "workloads/profiles_objects.h"
#include "workloads/profiles_xfer.h"

namespace hmb {
namespace {

// Every block with its size, allocating thread and allocation number.
struct Log {
  struct Block {
    size_t size;
    std::thread::id owner;
    uint64_t seq;
  };
  std::mutex m;
  std::map<void*, Block> live;
  std::set<uint64_t> seqs;  // allocation numbers of the live blocks
  uint64_t mallocs = 0, frees = 0, remote_frees = 0, bad_frees = 0, not_youngest = 0;
  size_t min_size = SIZE_MAX, max_size = 0, peak_live = 0;
  uint64_t fail_after = UINT64_MAX;  // malloc returns null from this many mallocs on
};
Log* g_log = nullptr;

struct Recording {
  static void* malloc(size_t n) {
    std::lock_guard<std::mutex> g(g_log->m);
    if (g_log->mallocs >= g_log->fail_after) return nullptr;
    void* p = std::malloc(n);
    g_log->seqs.insert(g_log->mallocs);
    g_log->live[p] = {n, std::this_thread::get_id(), g_log->mallocs++};
    g_log->min_size = std::min(g_log->min_size, n), g_log->max_size = std::max(g_log->max_size, n);
    g_log->peak_live = std::max(g_log->peak_live, g_log->live.size());
    return p;
  }
  static void free(void* p) {
    if (!p) return;
    std::lock_guard<std::mutex> g(g_log->m);
    auto it = g_log->live.find(p);
    if (it == g_log->live.end()) {
      ++g_log->bad_frees;
      return;
    }
    if (it->second.owner != std::this_thread::get_id()) ++g_log->remote_frees;
    // A younger block outlives this one: lifetimes overlap instead of nesting.
    if (*g_log->seqs.rbegin() != it->second.seq) ++g_log->not_youngest;
    g_log->seqs.erase(it->second.seq);
    g_log->live.erase(it);
    ++g_log->frees;
    std::free(p);
  }
};

struct ProfileTest : ::testing::Test {
  Log log;
  void SetUp() override { g_log = &log; }
  void TearDown() override { g_log = nullptr; }
};

template <class Queue>
void check_handoff(Log& log) {
  for (unsigned producers : {1u, 2u, 3u}) {
    log.mallocs = log.frees = log.remote_frees = 0;
    log.peak_live = 0;
    Result r = run_xfer<Recording, Queue>(10'000, 7, 64, producers);
    ASSERT_EQ(r.error, nullptr);
    EXPECT_EQ(log.mallocs, 10'000u / producers * producers);
    EXPECT_EQ(r.ops, 2 * log.mallocs);  // one malloc and one free per block
    EXPECT_EQ(log.frees, log.mallocs);
    EXPECT_EQ(log.remote_frees, log.frees);  // every free is another thread's block
    EXPECT_TRUE(log.live.empty());
    EXPECT_EQ(log.min_size, 64u);
    EXPECT_EQ(log.max_size, 64u);
    // At most the queued batches, one batch being filled per producer and one being freed
    // (mailbox: the ring's blocks, one being pushed per producer and a batch being freed).
    if constexpr (Queue::kPerBlock) {
      EXPECT_LE(log.peak_live, kMailboxCap + producers + kBatch);
    } else {
      size_t queued = std::is_same_v<Queue, PipeQueue> ? kQueueCap * producers : kQueueCap;
      EXPECT_LE(log.peak_live, (queued + producers + 1) * kBatch);
    }
  }
  EXPECT_EQ(log.bad_frees, 0u);
}

TEST_F(ProfileTest, XferConsumersFreeEveryProducedBlock) { check_handoff<XferQueue>(log); }
TEST_F(ProfileTest, PipeConsumersFreeEveryProducedBlock) { check_handoff<PipeQueue>(log); }
TEST_F(ProfileTest, MailboxConsumersFreeEveryProducedBlock) { check_handoff<MailboxQueue>(log); }

TEST_F(ProfileTest, XferReportsAFailedMallocWithoutHanging) {
  log.fail_after = 1000;
  Result r = run_xfer<Recording>(10'000, 7, 16, 2);
  ASSERT_NE(r.error, nullptr);
  EXPECT_TRUE(log.live.empty());  // what was made was still handed off and freed
  log.fail_after = 1000;
  log.mallocs = 0;
  r = run_xfer<Recording, PipeQueue>(10'000, 7, 16, 2);
  ASSERT_NE(r.error, nullptr);
  EXPECT_TRUE(log.live.empty());
  log.fail_after = 1000;
  log.mallocs = 0;
  r = run_xfer<Recording, MailboxQueue>(10'000, 7, 16, 2);
  ASSERT_NE(r.error, nullptr);
  EXPECT_TRUE(log.live.empty());
}

TEST_F(ProfileTest, PipeRefusesMoreProducersThanRings) {
  Result r = run_xfer<Recording, PipeQueue>(100, 7, 16, PipeQueue::kMaxProducers + 1);
  EXPECT_NE(r.error, nullptr);
  r = run_xfer<Recording>(100, 7, 16, 0);
  EXPECT_NE(r.error, nullptr);
  EXPECT_EQ(log.mallocs, 0u);
}

TEST_F(ProfileTest, LargeKeepsAboutTwentyBuffersOfOneTo32MiB) {
  Result r = run_large<Recording>(120, 3);
  ASSERT_EQ(r.error, nullptr);
  EXPECT_EQ(r.ops, 120u);
  EXPECT_GE(log.min_size, size_t{kLargeMin});
  EXPECT_LE(log.max_size, size_t{kLargeMax});
  EXPECT_GT(log.max_size - log.min_size, size_t{16} << 20);  // spread over the range
  EXPECT_LE(log.peak_live, size_t{kLargeSlots});
  EXPECT_GE(log.peak_live, 12u);
  EXPECT_TRUE(log.live.empty());
  EXPECT_EQ(log.bad_frees, 0u);
}

TEST(TouchPages, WritesEveryPage) {
  std::vector<unsigned char> buf(10 * kTouchStride + 100, 0);
  touch_pages(buf.data(), buf.size(), 1);
  for (size_t off = 0; off < buf.size(); off += kTouchStride) EXPECT_EQ(buf[off], 1) << off;
  EXPECT_EQ(buf.back(), 1);
}

TEST_F(ProfileTest, ObjectsBuildsSmallListsWithInterleavedLifetimes) {
  Result r = run_objects<Recording>(20'000, 5);
  ASSERT_EQ(r.error, nullptr);
  EXPECT_GE(r.ops, log.mallocs);  // the timed region's mallocs and frees, not the clean-up's
  EXPECT_LT(r.ops, log.mallocs + log.frees);
  EXPECT_GE(log.min_size, size_t{kNodeMin});
  EXPECT_LE(log.max_size, size_t{kNodeMax});
  EXPECT_GT(log.mallocs, 100'000u);
  EXPECT_TRUE(log.live.empty());  // the clean-up freed the rest
  EXPECT_EQ(log.bad_frees, 0u);
  // Not a stack: most frees leave a younger block alive.
  EXPECT_GT(log.not_youngest, log.frees / 2);
}

// Every round builds 16k..64k objects and frees them all before the next round: the drops are
// far larger than a thread cache, half of them oldest first and half newest first.
TEST_F(ProfileTest, BulkBuildsThenDropsWholeRounds) {
  Result r = run_bulk<Recording>(300'000, 3);
  ASSERT_EQ(r.error, nullptr);
  EXPECT_EQ(r.ops, log.mallocs + log.frees);  // every object freed inside the timed region
  EXPECT_GE(r.ops, 300'000u);
  EXPECT_TRUE(log.live.empty());
  EXPECT_EQ(log.bad_frees, 0u);
  EXPECT_GE(log.peak_live, size_t{kBulkMin});
  EXPECT_LE(log.peak_live, size_t{kBulkMax});
  EXPECT_GE(log.min_size, size_t{kBulkSizeMin});
  EXPECT_LE(log.max_size, size_t{kBulkSizeMax});
  // A front-to-back round frees the oldest live object each time, so all its frees but the last
  // leave a younger one alive; a newest-first round frees the youngest each time: about half.
  EXPECT_GT(log.not_youngest, log.frees / 4);
  EXPECT_LT(log.not_youngest, log.frees * 3 / 4);
}

// An allocator that hands out overlapping blocks (each one's last word is the next one's first)
// damages the objects, and the profile says so instead of reporting a throughput.
struct Overlapping {
  static inline std::vector<unsigned char> arena = std::vector<unsigned char>(size_t{kBulkMax} * kBulkSizeMax);
  static inline size_t used = 0;
  static void* malloc(size_t n) {
    void* p = arena.data() + used;
    used += n - sizeof(uint32_t);
    return p;
  }
  static void free(void*) {}
};

TEST(BulkProfile, OverlappingBlocksAreReported) {
  Result r = run_bulk<Overlapping>(1'000, 3);  // one round
  ASSERT_NE(r.error, nullptr);
  EXPECT_STREQ(r.error, "bulk: an object's contents changed before its free");
}

TEST_F(ProfileTest, BuffersMoveBetweenSizeRangesInEveryWorker) {
  Result r = run_buffers<Recording>(4'000, 7, 2);  // 4 workers, 1000 requests each
  ASSERT_EQ(r.error, nullptr);
  EXPECT_EQ(r.ops, log.mallocs + log.frees);  // every buffer freed inside the timed region
  EXPECT_TRUE(log.live.empty());
  EXPECT_EQ(log.bad_frees, 0u);
  EXPECT_EQ(log.remote_frees, 0u);  // a worker frees its own buffers
  EXPECT_GE(log.min_size, size_t{2} << 10);
  EXPECT_LE(log.max_size, size_t{128} << 10);
  EXPECT_GT(log.max_size, size_t{64} << 10);  // more than one phase: the ranges change
  // Up to 8 requests of up to 4 buffers in flight per worker, and more than one at a time.
  EXPECT_LE(log.peak_live, size_t{4 * kBufInFlight * kBufPerRequest});
  EXPECT_GT(log.peak_live, size_t{kBufInFlight});
  EXPECT_GT(log.mallocs, 4'000u);  // 1..4 buffers per request
  EXPECT_LT(log.mallocs, 4'000u * kBufPerRequest);
}

TEST(Measure, RusageDelta) {
  rusage a{}, b{};
  a.ru_stime = {1, 500000}, b.ru_stime = {3, 0};
  a.ru_minflt = 100, b.ru_minflt = 350;
  Result r;
  rusage_delta(a, b, r);
  EXPECT_DOUBLE_EQ(r.sys_seconds, 1.5);
  EXPECT_EQ(r.minor_faults, 250u);
}

TEST(Measure, TimerCountsTheFaultsOfTheRegion) {
  constexpr size_t kPages = 512, kPage = 4096;
  void* m = mmap(nullptr, kPages * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(m, MAP_FAILED);
  madvise(m, kPages * kPage, MADV_NOHUGEPAGE);  // one fault per page
  Result r;
  Timer t;
  auto* b = static_cast<volatile unsigned char*>(m);
  for (size_t i = 0; i < kPages; ++i) b[i * kPage] = 1;
  t.stop(r);
  munmap(m, kPages * kPage);
  EXPECT_GE(r.minor_faults, kPages);
  EXPECT_GE(r.sys_seconds, 0.0);
}

}  // namespace
}  // namespace hmb
