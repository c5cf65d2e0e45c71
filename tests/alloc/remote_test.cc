#include "remote/remote.h"
#include "remote/inspect.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "hakmem/check.h"
#include "hakmem/hakmem.h"
#include "tcache/tcache.h"

namespace hm {
namespace {

TEST(Remote, ConcurrentPushesAreAllCollectedOnce) {
  hm_free(hm_malloc(16));
  Page* pg = page_new(2, nullptr);
  ASSERT_NE(pg, nullptr);
  Block *first, *last;
  unsigned n = page_take(pg, 4000, &first, &last);
  ASSERT_GE(n, 1000u);
  std::vector<Block*> blocks;
  for (Block* b = first; blocks.size() < n; b = b->next) blocks.push_back(b);
  constexpr int kThreads = 4;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (size_t i = t; i < blocks.size(); i += kThreads) remote_push(pg, blocks[i], blocks[i], 1);
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(remote_pending(pg), n);
  uint32_t used = pg->used;
  EXPECT_EQ(remote_collect(pg), n);
  EXPECT_EQ(pg->used, used - n);
  EXPECT_EQ(remote_collect(pg), 0u);
  std::set<Block*> seen;
  for (Block* b = pg->free; b; b = b->next) ASSERT_TRUE(seen.insert(b).second);
  EXPECT_EQ(seen.size(), pg->capacity - pg->used);
  page_delete(pg);
}

TEST(Remote, CrossThreadFreesComeBackToTheOwner) {
  std::vector<void*> v;
  for (int i = 0; i < 5000; ++i) v.push_back(hm_malloc(96));
  uint64_t pushes = heap_counters_total().remote_pushes;
  std::thread([&] {
    for (void* p : v) hm_free(p);
    hm_thread_flush();
  }).join();
  EXPECT_GT(heap_counters_total().remote_pushes, pushes);
  // The owner reuses the returned blocks: allocating again maps no new segment.
  std::vector<void*> w;
  for (int i = 0; i < 5000; ++i) w.push_back(hm_malloc(96));
  for (void* p : w) hm_free(p);
}

TEST(Remote, QueueWordCarriesTheCountAndTheCheckerComparesIt) {
  std::vector<void*> v;
  for (int i = 0; i < 16; ++i) v.push_back(hm_malloc(96));
  Page* pg = page_of(reinterpret_cast<uintptr_t>(v[0]));
  ASSERT_NE(pg, nullptr);
  unsigned before = remote_pending(pg);
  std::thread([&] {
    for (int i = 0; i < 5; ++i) hm_free(v[static_cast<size_t>(i)]);
    hm_thread_flush();  // the five go back to their owner's page through the remote queue
  }).join();
  unsigned mine = 0;
  for (int i = 0; i < 5; ++i) mine += page_of(reinterpret_cast<uintptr_t>(v[static_cast<size_t>(i)])) == pg;
  ASSERT_EQ(remote_pending(pg), before + mine);
  hm_check_result r;
  EXPECT_EQ(hm_check_all(2, &r), 0);
  uint64_t w = pg->remote.load();
  pg->remote.store(w + (uint64_t{1} << kRemoteCountShift));  // a count one too high
  ASSERT_GT(hm_check_all(2, &r), 0);
  EXPECT_STREQ(r.id, "INV-REMOTE-1");
  pg->remote.store(w);
  EXPECT_EQ(hm_check_all(2, &r), 0);
  for (size_t i = 5; i < v.size(); ++i) hm_free(v[i]);
}

}  // namespace
}  // namespace hm
