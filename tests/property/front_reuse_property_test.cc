// Property of the front box's double-free handling (HAKMEM_REUSE_CHECK, on by default): after
// any sequence of mallocs, frees, flushes and frees by another thread, a block freed twice is
// reported before the allocator hands it out a second time. Each case runs in a forked child
// that tracks its live blocks: a malloc returning a block already live exits 99; the child then
// allocates the double-freed block's size until the report must have come (exit 0: missed).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "hakmem/hakmem.h"
#include "page/page.h"
#include "property_common.h"

namespace {

constexpr size_t kSizes[] = {24, 64, 200, 1000, 3000, 9000};

struct Op {
  uint8_t kind;   // 0..3 malloc, 4..5 free, 6 flush, 7 free a third of the live blocks in a thread
  uint8_t size;   // index into kSizes
  uint16_t pick;  // which live block
};

void showValue(const Op& op, std::ostream& os) {
  os << "{kind " << int(op.kind) << ", size " << kSizes[op.size] << ", pick " << op.pick << "}";
}

// The child: returns its exit status.
int run_child(const std::vector<Op>& ops, size_t dup_at, uint16_t dup_pick) {
  std::vector<void*> live;
  std::set<void*> live_set;
  auto take = [&](size_t n) {
    void* p = hm_malloc(n);
    if (!p) _exit(98);
    if (!live_set.insert(p).second) _exit(99);  // handed out while still live
    live.push_back(p);
  };
  auto drop = [&](size_t i) {
    void* p = live[i];
    live[i] = live.back();
    live.pop_back();
    live_set.erase(p);
    return p;
  };
  unsigned spawned = 0;  // threads started (and exited) by the sequence
  void* dup = nullptr;
  size_t dup_size = 64;  // the class the second free puts the block in
  for (size_t step = 0; step < ops.size(); ++step) {
    if (step == dup_at) take(kSizes[ops[step].size]);  // at least one block to free twice
    if (step == dup_at) {
      size_t i = dup_pick % live.size();
      dup = drop(i);
      hm_free(dup);  // the first free
    }
    const Op& op = ops[step];
    if (op.kind < 4) {
      take(kSizes[op.size]);
    } else if (op.kind < 6 && !live.empty()) {
      hm_free(drop(op.pick % live.size()));
    } else if (op.kind == 6) {
      hm_thread_flush();
    } else if (!live.empty()) {
      ++spawned;
      std::vector<void*> mine;
      for (size_t k = op.pick % 3; k < live.size(); k += 3) mine.push_back(live[k]);
      for (void* p : mine) live_set.erase(p);
      std::erase_if(live, [&](void* p) { return !live_set.count(p); });
      std::thread([&mine] {
        for (void* p : mine) hm_free(p);
      }).join();
    }
  }
  if (dup == nullptr) return 97;
  if (live_set.count(dup)) {  // handed out again: its free is legitimate
    live_set.erase(dup);
    std::erase(live, dup);
    hm_free(dup);
  }
  // The address may since have been handed out (and freed) as a block of another class: drain
  // the class of the page it lies in now (a span no page holds makes the free an invalid one).
  if (const hm::Page* pg = hm::page_of(reinterpret_cast<uintptr_t>(dup)); pg && pg->block_size) dup_size = pg->block_size;
  hm_free(dup);  // the double free
  size_t n = 64u << 20;
  for (size_t i = 0; i < n / dup_size + 1000; ++i) take(dup_size);
  // The first copy may wait in an exited thread's pooled heap (HAKMEM_WARM_HEAP): as many
  // threads as have exited, alive at once, take every pooled heap and allocate the size too.
  std::mutex mu;
  std::atomic<unsigned> started{0};
  std::vector<std::thread> ts;
  for (unsigned t = 0; t <= spawned; ++t) {
    ts.emplace_back([&] {
      auto take_locked = [&] {
        void* p = hm_malloc(dup_size);
        std::lock_guard<std::mutex> g(mu);
        if (!p) _exit(98);
        if (!live_set.insert(p).second) _exit(99);
      };
      take_locked();  // this thread has a heap now
      started.fetch_add(1);
      while (started.load() <= spawned) std::this_thread::yield();
      for (size_t i = 0; i < (4u << 20) / dup_size + 1000; ++i) take_locked();
    });
  }
  for (auto& t : ts) t.join();
  return 0;
}

RC_GTEST_PROP(FrontReuseProperty, ADoubleFreeIsReportedBeforeTheBlockIsHandedOutTwice, ()) {
  auto ops = *rc::gen::container<std::vector<Op>>(rc::gen::build<Op>(
      rc::gen::set(&Op::kind, rc::gen::inRange<uint8_t>(0, 8)), rc::gen::set(&Op::size, rc::gen::inRange<uint8_t>(0, 6)),
      rc::gen::set(&Op::pick, rc::gen::arbitrary<uint16_t>())));
  RC_PRE(!ops.empty());
  size_t dup_at = *rc::gen::inRange<size_t>(0, ops.size());
  uint16_t dup_pick = *rc::gen::arbitrary<uint16_t>();
  fflush(nullptr);
  pid_t pid = fork();
  RC_ASSERT(pid >= 0);
  if (pid == 0) {
    int fd = open("/dev/null", O_WRONLY);  // the report is expected: keep it off the test log
    if (fd >= 0) dup2(fd, 2);
    _exit(run_child(ops, dup_at, dup_pick));
  }
  int status = 0;
  RC_ASSERT(waitpid(pid, &status, 0) == pid);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  RC_ASSERT(code != 99);       // never handed out twice
  RC_ASSERT(code == -SIGABRT);  // and always reported (0: the allocation loop never met it)
}

}  // namespace
