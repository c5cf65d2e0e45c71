// Persistent helper threads of the threaded harnesses, and the cadence of their full walks.
//
// A harness that needs other threads hands work to a Crew started once per process instead of
// starting a thread per operation: start(k, fn) runs fn(t) on helpers t = 0..k-1 at once, done()
// tells whether they have all returned (the caller may work meanwhile), wait() blocks until
// then. Each helper keeps its hakmem heap between jobs; a harness resets it at the end of an
// input (heap_thread_exit from the helper, as a thread exit would), so inputs stay independent.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hm_fuzz {

class Crew {
 public:
  explicit Crew(unsigned n) : spin_(n < std::thread::hardware_concurrency() ? kSpin : 0) {
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this, i] { loop(i); });
  }
  ~Crew() {
    {
      std::lock_guard<std::mutex> l(m_);
      stop_ = true;
    }
    go_.notify_all();
    for (auto& t : threads_) t.join();
  }
  Crew(const Crew&) = delete;
  Crew& operator=(const Crew&) = delete;

  unsigned size() const { return static_cast<unsigned>(threads_.size()); }
  void start(unsigned k, std::function<void(unsigned)> fn) {
    {
      std::lock_guard<std::mutex> l(m_);
      job_ = std::move(fn);
      want_ = k < size() ? k : size();
      finished_.store(0);
      generation_.fetch_add(1, std::memory_order_release);
    }
    go_.notify_all();  // no system call when every helper is still spinning
  }
  bool done() const { return finished_.load() >= want_; }
  void wait() {
    for (unsigned i = 0; i < spin_ && !done(); ++i) relax();
    std::unique_lock<std::mutex> l(m_);
    finished_cv_.wait(l, [this] { return finished_.load() >= want_; });
  }
  void run(unsigned k, std::function<void(unsigned)> fn) {
    start(k, std::move(fn));
    wait();
  }

 private:
  // A hand-off costs two futex calls when the other side sleeps: both sides spin a little
  // first, as the next job or the end of this one usually follows within microseconds -- only
  // when the helpers and the caller have a core each, else spinning takes the core the other
  // side needs.
  static constexpr unsigned kSpin = 2000;
  static void relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    std::this_thread::yield();
#endif
  }
  void loop(unsigned i) {
    unsigned seen = 0;
    for (;;) {
      for (unsigned s = 0; s < spin_ && generation_.load(std::memory_order_acquire) == seen; ++s) relax();
      std::function<void(unsigned)> fn;
      unsigned want;
      {
        std::unique_lock<std::mutex> l(m_);
        go_.wait(l, [&] { return stop_ || generation_.load() != seen; });
        if (stop_) return;
        seen = generation_.load();
        if (i >= want_) continue;
        fn = job_;
        want = want_;
      }
      fn(i);
      if (finished_.fetch_add(1) + 1 == want) {
        std::lock_guard<std::mutex> l(m_);
        finished_cv_.notify_all();
      }
    }
  }

  std::mutex m_;
  std::condition_variable go_, finished_cv_;
  std::function<void(unsigned)> job_;
  const unsigned spin_;
  unsigned want_ = 0;
  std::atomic<unsigned> generation_{0};
  std::atomic<unsigned> finished_{0};
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// The full walks (the invariant checkers at level 2 and a harness's walk of its whole model) run
// every kWalkEvery operations and once more at the end of the input; the checks after each
// operation are O(1) in the size of the model (the objects the operation touched).
inline constexpr unsigned kWalkEvery = 16;
class Cadence {
 public:
  bool due() { return ++n_ % kWalkEvery == 0; }

 private:
  unsigned n_ = 0;
};

}  // namespace hm_fuzz
