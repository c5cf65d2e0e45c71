// The transfer box through the tcache box: a thread whose bins overflow with another
// thread's blocks hands them over in batches (HAKMEM_TRANSFER_KB), a thread whose bin is
// empty takes a batch, the box stays within its byte bound, every block comes back exactly
// once, and hm_thread_flush empties the box. Gates are read at start-up, so each case runs
// in a re-executed child with its gates in the environment and exits 0 only if it holds.
#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "hakmem/check.h"
#include "hakmem/hakmem.h"
#include "tcache/tcache.h"
#include "transfer/transfer.h"
#include "transfer/inspect.h"

namespace {

constexpr int kBlocks = 6000;

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

bool pin_to(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  return sched_setaffinity(0, sizeof one, &one) == 0;
}
size_t size_of(int i) { return 16 + static_cast<size_t>(i % 7) * 48; }

struct Round {
  hm::HeapCounters d{};       // the worker's part
  uint64_t peak_bytes = 0;    // transfer_bytes() after the worker
  uint64_t takes_after = 0;   // batches the owner took when allocating again
};

// The owner (this thread) fills kBlocks blocks; a worker frees them all (its bins overflow)
// and exits; the owner allocates as many again (checking no block is handed out twice),
// frees them, flushes, and the heap passes the full invariant walk.
Round exchange() {
  std::vector<unsigned char*> v;
  for (int i = 0; i < kBlocks; ++i) {
    auto* p = static_cast<unsigned char*>(hm_malloc(size_of(i)));
    std::memset(p, i & 0xff, size_of(i));
    v.push_back(p);
  }
  Round r;
  hm::HeapCounters before = hm::heap_counters_total();
  std::thread worker([&] {
    for (int i = 0; i < kBlocks; ++i) {
      for (size_t k = 0; k < size_of(i); ++k)
        if (v[static_cast<size_t>(i)][k] != (i & 0xff)) _exit(3);  // a block lost its contents
      hm_free(v[static_cast<size_t>(i)]);
    }
  });
  worker.join();
  hm::HeapCounters mid = hm::heap_counters_total();
  r.d.transfer_puts = mid.transfer_puts - before.transfer_puts;
  r.d.remote_flushed = mid.remote_flushed - before.remote_flushed;
  r.peak_bytes = hm::transfer_bytes();
  std::set<void*> seen;
  std::vector<void*> w;
  for (int i = 0; i < kBlocks; ++i) {
    void* p = hm_malloc(size_of(i));
    if (!seen.insert(p).second) _exit(4);  // handed out twice
    w.push_back(p);
  }
  r.takes_after = hm::heap_counters_total().transfer_takes - mid.transfer_takes;
  for (void* p : w) hm_free(p);
  hm_thread_flush();
  if (hm::transfer_bytes() != 0) _exit(5);  // the flush empties the box
  hm_check_result c;
  if (hm_check_all(2, &c) != 0) {
    std::fprintf(stderr, "%s %s: expected %s found %s\n", c.box, c.id, c.expected, c.found);
    _exit(6);
  }
  return r;
}

struct TransferTest : ::testing::Test {
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }  // re-exec: fresh gates
  void TearDown() override {
    unsetenv("HAKMEM_TRANSFER_KB");
    unsetenv("HAKMEM_HARDEN");
    unsetenv("HAKMEM_TCACHE_MAX");
    unsetenv("HAKMEM_TRANSFER_PREFETCH");
    unsetenv("HAKMEM_TRANSFER_DEMOTE");
    unsetenv("HAKMEM_TRANSFER_RECLAIM");
  }
};

TEST_F(TransferTest, OverflowingBinsHandBatchesOverInsteadOfRemotePushes) {
  EXPECT_EXIT(
      {
        Round r = exchange();
        if (r.d.transfer_puts == 0 || r.takes_after == 0) _exit(10);
        // Blocks that went through the box were not pushed one by one to their pages.
        if (r.d.remote_flushed * 2 > kBlocks) _exit(11);
        _exit(0);
      },
      testing::ExitedWithCode(0), "");
}

TEST_F(TransferTest, GateOffSendsEveryBlockBackThroughTheRemoteBox) {
  setenv("HAKMEM_TRANSFER_KB", "0", 1);
  setenv("HAKMEM_TCACHE_MAX", "64", 1);  // at most 7 classes x 64 blocks stay in the exiting worker's bins
  EXPECT_EXIT(
      {
        Round r = exchange();
        if (r.d.transfer_puts != 0 || r.takes_after != 0 || r.peak_bytes != 0) _exit(10);
        if (r.d.remote_flushed < kBlocks - 1000) _exit(11);
        _exit(0);
      },
      testing::ExitedWithCode(0), "");
}

TEST_F(TransferTest, TheBoxStaysWithinItsByteBound) {
  setenv("HAKMEM_TRANSFER_KB", "8", 1);
  EXPECT_EXIT(
      {
        Round r = exchange();
        if (r.peak_bytes > 8 * 1024) _exit(10);
        if (r.d.transfer_puts == 0) _exit(11);  // small classes' batches still fit
        _exit(0);
      },
      testing::ExitedWithCode(0), "");
}

TEST_F(TransferTest, HardenedBinsDoNotTakePart) {
  setenv("HAKMEM_HARDEN", "1", 1);
  EXPECT_EXIT(
      {
        Round r = exchange();
        if (r.d.transfer_puts != 0 || r.takes_after != 0) _exit(10);
        _exit(0);
      },
      testing::ExitedWithCode(0), "");
}

// A consumer frees 1500 of another thread's 64-byte blocks, takes 600 of its own (its bin, then
// its spare) and frees them, then frees 1500 more; the batches it hands on name their chain's
// first blocks in order (INV-TRANSFER-3), and the heap passes the full walk. Returns an exit
// code (0: held) and the most names a batch carried.
// The owner (this thread) and the consumer run pinned to CPUs owner_cpu and consumer_cpu when
// those are not negative.
int consumer_rounds(uint32_t* most, int owner_cpu = -1, int consumer_cpu = -1) {
  constexpr int kOwned = 3000;
  if (owner_cpu >= 0 && !pin_to(owner_cpu)) return 20;
  std::vector<void*> a;
  for (int i = 0; i < kOwned; ++i) a.push_back(hm_malloc(64));
  int code = 0;
  std::thread consumer([&] {
    if (consumer_cpu >= 0 && !pin_to(consumer_cpu)) return void(code = 21);
    unsigned cls = hm::size_to_class(64);
    auto named_in_order = [&] {
      for (unsigned i = 0; hm::TransferBatch* b = hm::transfer_batch_for_test(cls, i); ++i) {
        const hm::Block* x = b->head;
        for (uint32_t k = 0; k < b->hints; ++k, x = x->next)
          if (b->hint[k] != x) return false;
        if (b->hints > *most) *most = b->hints;
      }
      return true;
    };
    for (int i = 0; i < kOwned / 2; ++i) hm_free(a[static_cast<size_t>(i)]);
    if (!named_in_order()) return void(code = 10);
    std::vector<void*> mine;
    for (int i = 0; i < 600; ++i) mine.push_back(hm_malloc(64));  // the bin, then the spare
    for (void* p : mine) hm_free(p);
    for (int i = kOwned / 2; i < kOwned; ++i) hm_free(a[static_cast<size_t>(i)]);
    if (!named_in_order()) return void(code = 11);
    if (hm::transfer_batch_for_test(cls, 0) == nullptr) return void(code = 12);  // nothing went on
    hm_check_result c;
    if (hm_check_all(2, &c) != 0) code = 13;
  });
  consumer.join();
  return code;
}

// HAKMEM_TRANSFER_DEMOTE=2: a consumer demotes the lines of a spare of another thread's blocks
// only when that thread last refilled on another CPU: pinned apart it does (as at 1), pinned
// together it does not (as at 0). At 3 the same, and the spares it demoted go on marked with its
// CPU (at 1 and 2 unmarked). Needs two CPUs.
TEST_F(TransferTest, TheCpuAwareDemotionFollowsWhereTheOwnerRan) {
  std::vector<int> cpus = allowed_cpus();
  if (cpus.size() < 2) GTEST_SKIP() << "needs two CPUs";
  struct Case {
    const char* gate;
    int owner, consumer;
    bool demotes, marks;
  };
  for (Case c : {Case{"2", cpus[0], cpus[1], true, false}, Case{"2", cpus[0], cpus[0], false, false},
                 Case{"1", cpus[0], cpus[0], true, false}, Case{"0", cpus[0], cpus[1], false, false},
                 Case{"3", cpus[0], cpus[1], true, true}, Case{"3", cpus[1], cpus[1], false, false}}) {
    setenv("HAKMEM_TRANSFER_DEMOTE", c.gate, 1);
    EXPECT_EXIT(
        {
          uint64_t before = hm::heap_counters_total().spares_demoted;
          uint32_t most = 0;
          if (int code = consumer_rounds(&most, c.owner, c.consumer)) _exit(code);
          bool demoted = hm::heap_counters_total().spares_demoted > before;
          // The marks of the batches the consumer left in the box: its CPU, or none.
          unsigned cls = hm::size_to_class(64);
          unsigned marked = 0;
          for (unsigned i = 0; hm::TransferBatch* b = hm::transfer_batch_for_test(cls, i); ++i) {
            if (b->demoted_on != 0 && b->demoted_on != c.consumer + 1) _exit(17);
            marked += b->demoted_on != 0;
          }
          if (demoted != c.demotes) _exit(15);
          _exit((marked != 0) == c.marks ? 0 : 16);
        },
        testing::ExitedWithCode(0), "")
        << "HAKMEM_TRANSFER_DEMOTE=" << c.gate << ", owner on CPU " << c.owner << ", consumer on CPU " << c.consumer;
  }
}

// consumer_rounds in a re-executed child under the gates set now: it holds, and the batches
// carry `most` names at most, that many at least once.
void expect_rounds_naming(uint32_t most) {
  EXPECT_EXIT(
      {
        uint32_t seen = 0;
        if (int code = consumer_rounds(&seen)) _exit(code);
        _exit(seen == most ? 0 : 14);
      },
      testing::ExitedWithCode(0), "");
}

// HAKMEM_TRANSFER_PREFETCH: a consumer's spare goes on with its first blocks named (by the walk
// its swap made when the spare was the bin), the whole spare (256 at the default bounds), and the
// names stay the chain's first blocks in order when the consumer itself takes its spare between
// swaps and frees again: a spare made without a walk goes on unnamed by the swap.
TEST_F(TransferTest, AConsumersSpareGoesOnNamedInOrder) {
  setenv("HAKMEM_TRANSFER_PREFETCH", "256", 1);
  expect_rounds_naming(256);
}

// HAKMEM_TRANSFER_DEMOTE: the swap's walk that demotes the spare's lines checks and keeps every
// block as bin_walk does, names the spare only when HAKMEM_TRANSFER_PREFETCH asks for names, and
// names it whole when it does.
TEST_F(TransferTest, ADemotingWalkKeepsTheSpareAndItsNames) {
  setenv("HAKMEM_TRANSFER_DEMOTE", "1", 1);
  expect_rounds_naming(0);
  setenv("HAKMEM_TRANSFER_PREFETCH", "256", 1);
  expect_rounds_naming(256);
}

// HAKMEM_TRANSFER_RECLAIM: one thread builds and drops 64-byte objects (its full spares go into
// the box), then builds 48-byte ones. Before the new class's pages are mapped, the box gives the
// idle 64-byte batches back to their pages and the emptied pages go back to the segment box; at 0
// the batches wait in the box. Every block keeps its contents either way, the dropped blocks come
// back as they were given out, and the heap passes the full walk. Exit 0: `reclaims` held.
int moved_on(bool reclaims) {
  constexpr int kOld = 20000, kNew = 6000;
  std::vector<void*> old;
  for (int i = 0; i < kOld; ++i) old.push_back(hm_malloc(64));
  for (void* p : old) hm_free(p);
  uint64_t held = hm::transfer_bytes();
  if (held == 0) return 10;  // the drop's full spares went into the box
  hm::HeapCounters before = hm::heap_counters_total();
  std::vector<unsigned char*> fresh;
  for (int i = 0; i < kNew; ++i) {
    auto* p = static_cast<unsigned char*>(hm_malloc(48));
    std::memset(p, i & 0xff, 48);
    fresh.push_back(p);
  }
  hm::HeapCounters after = hm::heap_counters_total();
  uint64_t reclaimed = after.transfer_reclaimed - before.transfer_reclaimed;
  uint64_t freed = after.pages_freed - before.pages_freed;
  if (reclaims != (reclaimed > 0)) return 11;
  if (reclaims && (hm::transfer_bytes() >= held || freed == 0)) return 12;  // pages emptied and went back
  if (!reclaims && hm::transfer_bytes() != held) return 13;
  for (int i = 0; i < kNew; ++i)
    for (int k = 0; k < 48; ++k)
      if (fresh[static_cast<size_t>(i)][k] != (i & 0xff)) return 14;
  std::set<void*> seen;
  for (int i = 0; i < kOld; ++i)
    if (!seen.insert(hm_malloc(64)).second) return 15;  // a reclaimed block handed out twice
  hm_check_result c;
  if (hm_check_all(2, &c) != 0) {
    std::fprintf(stderr, "%s %s: expected %s found %s\n", c.box, c.id, c.expected, c.found);
    return 16;
  }
  return 0;
}

TEST_F(TransferTest, AnIdleClassesBatchesGoBackBeforeANewPage) {
  EXPECT_EXIT(_exit(moved_on(true)), testing::ExitedWithCode(0), "");
  setenv("HAKMEM_TRANSFER_RECLAIM", "0", 1);
  EXPECT_EXIT(_exit(moved_on(false)), testing::ExitedWithCode(0), "");
}

}  // namespace
