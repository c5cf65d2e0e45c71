// HAKMEM_HARDEN=1 (tcache box): encoded bin links and a checked pop turn a write after
// free into a report at the next allocation instead of a wild pointer. The gate is read
// at start-up, so every case runs in a re-executed child with the gate in its environment.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <thread>
#include <vector>

#include "hakmem/hakmem.h"
#include "tcache/inspect.h"

namespace {

struct HardenTest : ::testing::Test {
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");  // re-exec: the child reads the gate afresh
    setenv("HAKMEM_HARDEN", "1", 1);
  }
  void TearDown() override { unsetenv("HAKMEM_HARDEN"); }
};

TEST_F(HardenTest, WriteAfterFreeIsReportedAtTheNextAllocation) {
  EXPECT_EXIT(
      {
        char* p = static_cast<char*>(hm_malloc(64));
        hm_free(p);
        std::memset(p, 0x41, 16);  // the program writes into a block it freed
        hm_malloc(64);
        _exit(0);
      },
      testing::KilledBySignal(SIGABRT),
      "hakmem: corrupted free-list link of 0x[0-9a-f]+ \\(box tcache, INV-TCACHE-2\\)");
}

TEST_F(HardenTest, OverwrittenLinkIsReported) {
  EXPECT_EXIT(
      {
        char* a = static_cast<char*>(hm_malloc(96));
        char* b = static_cast<char*>(hm_malloc(96));
        hm_free(a);
        hm_free(b);
        void* wild = reinterpret_cast<void*>(0x1000);
        std::memcpy(b, &wild, sizeof wild);  // only the link, the cookie stays
        hm_malloc(96);
        _exit(0);
      },
      testing::KilledBySignal(SIGABRT), "hakmem: corrupted free-list link of 0x");
}

TEST_F(HardenTest, HardenedHeapsRunCleanWorkloads) {
  EXPECT_EXIT(
      {
        if (!hm::tcache_get()->heap.real) hm_free(hm_malloc(1));
        if (hm::tcache_get()->link_key == 0) _exit(3);  // the gate did not take effect
        std::vector<void*> v;
        for (int round = 0; round < 20; ++round) {
          for (int i = 0; i < 3000; ++i) v.push_back(hm_malloc(static_cast<size_t>(16 + (i * 131) % 2000)));
          std::thread t([&] {
            for (size_t i = 0; i < v.size(); i += 2) hm_free(v[i]);
          });
          t.join();
          for (size_t i = 1; i < v.size(); i += 2) hm_free(v[i]);
          v.clear();
        }
        _exit(0);
      },
      testing::ExitedWithCode(0), "");
}

TEST(HardenOff, DefaultHeapsUsePlainLinks) {
  hm_free(hm_malloc(1));
  EXPECT_EQ(hm::tcache_get()->link_key, 0u);
}

}  // namespace
