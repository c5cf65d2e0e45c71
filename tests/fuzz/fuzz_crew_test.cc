// tests of fuzz/fuzz_crew.h: the persistent helpers run each job on k distinct threads (never
// the caller; with run_with_caller, the caller and k - 1 helpers), done() reports a job still running, jobs run one after another on the same
// threads, a following crew runs on the caller's CPU, a SpareThread runs each job on a thread
// that has exited when run returns, and the cadence is due every kWalkEvery operations.
#include "fuzz_crew.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

namespace hm_fuzz {
namespace {

// The threads and share numbers a job ran on, and whether k shares ran on k distinct threads.
struct Shares {
  std::mutex m;
  std::set<std::thread::id> ids;
  std::set<unsigned> slots;
  void record(unsigned t) {
    std::lock_guard<std::mutex> l(m);
    ids.insert(std::this_thread::get_id());
    slots.insert(t);
  }
  void expect_k_distinct(unsigned k) {
    EXPECT_EQ(ids.size(), k);
    EXPECT_EQ(slots.size(), k);
    EXPECT_EQ(*slots.rbegin(), k - 1);
  }
};

TEST(FuzzCrew, RunsAJobOnKDistinctHelperThreads) {
  Crew crew(4);
  for (unsigned k = 1; k <= 4; ++k) {
    Shares seen;
    crew.run(k, [&](unsigned t) { seen.record(t); });
    seen.expect_k_distinct(k);
    EXPECT_FALSE(seen.ids.count(std::this_thread::get_id()));
  }
}

TEST(FuzzCrew, RunWithCallerRunsTheLastShareOnTheCallerAtOnceWithTheHelpers) {
  Crew crew(4);
  for (unsigned k = 1; k <= 4; ++k) {
    Shares seen;
    std::atomic<unsigned> arrived{0};
    const std::thread::id caller = std::this_thread::get_id();
    bool last_on_caller = false;
    crew.run_with_caller(k, [&](unsigned t) {
      arrived.fetch_add(1);
      while (arrived.load() < k) std::this_thread::yield();  // all k shares run at once
      seen.record(t);
      if (t == k - 1) last_on_caller = std::this_thread::get_id() == caller;
    });
    seen.expect_k_distinct(k);
    EXPECT_TRUE(seen.ids.count(caller));
    EXPECT_TRUE(last_on_caller);
    EXPECT_TRUE(crew.done());
  }
}

TEST(FuzzCrew, DoneIsFalseWhileAHelperRuns) {
  Crew crew(2);
  std::atomic<bool> release{false};
  std::atomic<unsigned> started{0};
  crew.start(2, [&](unsigned) {
    started.fetch_add(1);
    while (!release.load()) std::this_thread::yield();
  });
  while (started.load() < 2) std::this_thread::yield();
  EXPECT_FALSE(crew.done());
  release.store(true);
  crew.wait();
  EXPECT_TRUE(crew.done());
}

TEST(FuzzCrew, KeepsItsThreadsAcrossJobs) {
  Crew crew(1);
  std::thread::id first, again;
  crew.run(1, [&](unsigned) { first = std::this_thread::get_id(); });
  for (int i = 0; i < 100; ++i) crew.run(1, [&](unsigned) { again = std::this_thread::get_id(); });
  EXPECT_EQ(first, again);
}

// A wake is skipped when the other side is not asleep: jobs handed over while the helper spins,
// while it sleeps (the caller pauses longer than any spin first) and ending while the caller
// spins or sleeps all complete, each exactly once.
TEST(FuzzCrew, LosesNoHandOffWhetherEitherSideSpinsOrSleeps) {
  Crew crew(1);
  unsigned ran = 0;
  for (unsigned i = 0; i < 200; ++i) {
    if (i % 4 == 1) std::this_thread::sleep_for(std::chrono::milliseconds(3));  // the helper sleeps
    crew.run(1, [&](unsigned) {
      if (i % 4 == 2) std::this_thread::sleep_for(std::chrono::milliseconds(3));  // the caller sleeps
      ++ran;
    });
    EXPECT_EQ(ran, i + 1);
  }
}

TEST(FuzzCrew, CadenceIsDueEveryKWalkEveryOperations) {
  Cadence c;
  unsigned due = 0;
  for (unsigned i = 1; i <= 10 * kWalkEvery; ++i)
    if (c.due()) {
      ++due;
      EXPECT_EQ(i % kWalkEvery, 0u);
    }
  EXPECT_EQ(due, 10u);
}

// A following crew runs its helper bound to one CPU (the caller's when it handed the job over;
// the caller may have moved since).
TEST(FuzzCrew, AFollowingCrewRunsItsHelperOnTheCallersCpu) {
  Crew crew(1, true);
  for (int i = 0; i < 20; ++i) {
    cpu_set_t set;
    CPU_ZERO(&set);
    int ran = -1;
    std::thread::id id;
    crew.run(1, [&](unsigned) {
      pthread_getaffinity_np(pthread_self(), sizeof set, &set);
      ran = sched_getcpu();
      id = std::this_thread::get_id();
    });
    EXPECT_NE(id, std::this_thread::get_id());
    EXPECT_EQ(CPU_COUNT(&set), 1);
    EXPECT_TRUE(CPU_ISSET(ran, &set));
  }
}

// Each job of a SpareThread runs on a thread of its own that has exited (its thread-local
// destructors run) by the time run returns.
thread_local struct Exits {
  std::atomic<int>* n = nullptr;
  ~Exits() {
    if (n) n->fetch_add(1);
  }
} t_exits;
TEST(FuzzCrew, ASpareThreadRunsEachJobOnAThreadThatExitsBeforeRunReturns) {
  SpareThread spare(size_t{1} << 20);
  std::atomic<int> exits{0};
  std::set<long> tids;  // kernel thread ids (a pthread_t is reused with its cached stack)
  for (int i = 1; i <= 3; ++i) {
    spare.run([&](unsigned) {
      t_exits.n = &exits;
      tids.insert(syscall(SYS_gettid));
    });
    EXPECT_EQ(exits.load(), i);
  }
  EXPECT_EQ(tids.size(), 3u);
  EXPECT_FALSE(tids.count(syscall(SYS_gettid)));
}

}  // namespace
}  // namespace hm_fuzz
