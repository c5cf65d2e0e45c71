// Persistent helper threads of the threaded harnesses, and the cadence of their full walks.
//
// A harness that needs other threads hands work to a Crew started once per process instead of
// starting a thread per operation: start(k, fn) runs fn(t) on helpers t = 0..k-1 at once, done()
// tells whether they have all returned (the caller may work meanwhile), wait() blocks until
// then. Each helper keeps its hakmem heap between jobs; a harness resets it at the end of an
// input (tcache_thread_exit from the helper, as a thread exit would), so inputs stay independent.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace hm_fuzz {

class Crew {
 public:
  explicit Crew(unsigned n)
      : spin_(n < std::thread::hardware_concurrency() ? kSpinUs : 0), slots_(std::make_unique<Slot[]>(n)) {
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this, i] { loop(i); });
  }
  ~Crew() {
    stop_.store(true);
    for (unsigned i = 0; i < size(); ++i) slots_[i].gen.fetch_add(1), wake(slots_[i].gen);
    for (auto& t : threads_) t.join();
  }
  Crew(const Crew&) = delete;
  Crew& operator=(const Crew&) = delete;

  unsigned size() const { return static_cast<unsigned>(threads_.size()); }
  // Wakes helpers 0..k-1 only, each on its own word: no lock, no broadcast, and no system call
  // for a helper still spinning.
  void start(unsigned k, std::function<void(unsigned)> fn) {
    job_ = std::move(fn);
    want_ = k < size() ? k : size();
    finished_.store(0, std::memory_order_relaxed);
    for (unsigned i = 0; i < want_; ++i) {
      slots_[i].gen.fetch_add(1, std::memory_order_seq_cst);
      if (slots_[i].asleep.load(std::memory_order_seq_cst)) wake(slots_[i].gen);
    }
  }
  bool done() const { return finished_.load(std::memory_order_acquire) >= want_; }
  void wait() {
    spin_until([this] { return done(); }, wait_spin_);
    for (unsigned f; (f = finished_.load(std::memory_order_acquire)) < want_;) sleep_while(finished_, f, waiting_);
    job_ = nullptr;  // its captures are freed within the caller's input
  }
  void run(unsigned k, std::function<void(unsigned)> fn) {
    start(k, std::move(fn));
    wait();
  }
  // fn(t) for t = 0..k-1 at once, fn(k-1) on the calling thread: one hand-off fewer.
  void run_with_caller(unsigned k, std::function<void(unsigned)> fn) {
    if (k == 0) return;
    start(k - 1, std::ref(fn));
    fn(k - 1);
    wait();
  }

 private:
  // A hand-off costs a futex wake and a wait when the other side sleeps -- a system call each
  // and tens of microseconds before the sleeper runs again -- so both sides spin first, as the
  // next job (a few operations of the input later) or the end of this one usually follows soon:
  // only when the helpers and the caller have a core each, else spinning takes the core the other
  // side needs. A spin lasts up to kSpinUs microseconds by the clock (the same on any processor,
  // whatever its pause costs). On a loaded machine the other side is often not running, so each
  // side halves its spin after a spin that ended asleep and doubles it after one that did not;
  // longer spins (500 us) made the heap harness 15 % slower at load 6 on two cores.
  static constexpr unsigned kSpinUs = 32, kMinSpinUs = 1;
  static uint64_t now_us() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
  }
  template <class Ready>
  void spin_until(Ready ready, unsigned& budget) {
    if (!spin_) return;
    uint64_t end = now_us() + budget;
    for (unsigned i = 1;; ++i) {
      if (ready()) {
        budget = budget * 2 < spin_ ? budget * 2 : spin_;
        return;
      }
      relax();
      if (i % 64 == 0 && now_us() >= end) break;
    }
    budget = budget / 2 > kMinSpinUs ? budget / 2 : kMinSpinUs;
  }
  static void relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    std::this_thread::yield();
#endif
  }
  // The futex calls themselves (std::atomic's wait and notify took milliseconds a hand-off with
  // the C++ library here): a wake costs a system call, a sleep returns at once when the word moved.
  // The sleeper raises its flag before it sleeps and the waker reads it after it moved the word
  // (both sequentially consistent): a waker that sees no flag knows the sleeper will see the new
  // word and not sleep, so it skips the wake.
  static void sleep_while(std::atomic<unsigned>& w, unsigned v, std::atomic<bool>& asleep) {
    asleep.store(true, std::memory_order_seq_cst);
    if (w.load(std::memory_order_seq_cst) == v)
      syscall(SYS_futex, reinterpret_cast<unsigned*>(&w), FUTEX_WAIT_PRIVATE, v, nullptr, nullptr, 0);
    asleep.store(false, std::memory_order_relaxed);
  }
  static void wake(std::atomic<unsigned>& w) {
    syscall(SYS_futex, reinterpret_cast<unsigned*>(&w), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }
  void loop(unsigned i) {
    std::atomic<unsigned>& gen = slots_[i].gen;
    for (unsigned seen = 0;;) {
      spin_until([&] { return gen.load(std::memory_order_acquire) != seen; }, slots_[i].spin);
      while (gen.load(std::memory_order_acquire) == seen) sleep_while(gen, seen, slots_[i].asleep);
      seen = gen.load(std::memory_order_acquire);
      if (stop_.load()) return;
      unsigned want = want_;  // read before the caller may start the next job
      job_(i);
      if (finished_.fetch_add(1, std::memory_order_seq_cst) + 1 == want && waiting_.load(std::memory_order_seq_cst))
        wake(finished_);
    }
  }

  struct alignas(64) Slot {
    std::atomic<unsigned> gen{0};
    std::atomic<bool> asleep{false};  // the helper sleeps (or is about to) on gen
    unsigned spin = kSpinUs;  // the helper's own
  };
  unsigned wait_spin_ = kSpinUs;
  std::atomic<bool> waiting_{false};  // the caller sleeps (or is about to) on finished_
  const unsigned spin_;
  std::unique_ptr<Slot[]> slots_;
  std::function<void(unsigned)> job_;
  unsigned want_ = 0;
  alignas(64) std::atomic<unsigned> finished_{0};
  std::atomic<bool> stop_{false};
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
