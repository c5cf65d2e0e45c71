// Persistent helper threads of the threaded harnesses, and the cadence of their full walks.
//
// A harness that needs other threads hands work to a Crew started once per process instead of
// starting a thread per operation: start(k, fn) runs fn(t) on helpers t = 0..k-1 at once, done()
// tells whether they have all returned (the caller may work meanwhile), wait() blocks until
// then. Each helper keeps its hakmem heap between jobs; a harness resets it at the end of an
// input (tcache_thread_exit from the helper, as a thread exit would), so inputs stay independent.
#pragma once

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace hm_fuzz {

// Binds threads t[0..n-1] to the CPU the caller runs on, when it is not the one they are bound to
// already (*cpu). A job handed to a sleeping thread on another CPU waits for that CPU to wake up
// and reschedule (here, a virtual machine: a hundred microseconds and more per hand-off, twice per
// job); on the caller's own CPU the hand-off is a switch between two threads. For threads that
// only take turns with the caller, never run beside it. The caller itself stays free to move;
// its threads follow at its next hand-off.
inline pthread_t native(pthread_t t) { return t; }
inline pthread_t native(std::thread& t) { return t.native_handle(); }
template <class Thread>
void follow_caller(Thread* t, unsigned n, int* cpu) {
  int c = sched_getcpu();
  if (c < 0 || c == *cpu) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(c, &set);
  for (unsigned i = 0; i < n; ++i) pthread_setaffinity_np(native(t[i]), sizeof set, &set);
  *cpu = c;
}

class Crew {
 public:
  // follow: the helpers take turns with the caller (it waits for every job) and run on the CPU
  // the caller last handed a job from, without spinning (see follow_caller).
  explicit Crew(unsigned n, bool follow = false)
      : follow_(follow), spin_(!follow && n < std::thread::hardware_concurrency() ? kSpinUs : 0),
        slots_(std::make_unique<Slot[]>(n)) {
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
    if (follow_) follow_caller(threads_.data(), size(), &cpu_);
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

  const bool follow_;
  int cpu_ = -1;  // the CPU the helpers were last bound to (follow_)
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

// A real thread for one job that then exits (its pthread-key destructors run, as at any thread
// exit), started ahead of time: run(job) hands the job to a thread created by the previous run
// (or now, the first time), joins it, and creates the next one. Starting a thread here costs
// about a millisecond of latency before it first runs (clone, the sanitizers' thread set-up,
// scheduling), as much as the rest of a tcache input; the next thread's start now overlaps the
// caller's work. A waiting thread has not called hakmem, so it has no heap and changes nothing
// its job will see. Its stack is `stack` bytes (ASan clears the shadow of a thread's whole stack
// at its start and exit: 1 MiB of shadow for the default 8 MiB).
class SpareThread {
 public:
  explicit SpareThread(size_t stack) : stack_(stack) {}
  ~SpareThread() {
    if (!started_) return;
    job_ = nullptr;  // the waiting thread returns without a job
    go();
    pthread_join(thread_, nullptr);
  }
  SpareThread(const SpareThread&) = delete;
  SpareThread& operator=(const SpareThread&) = delete;

  template <class F>
  void run(F&& job) {
    if (!started_) spawn();
    job_ = [&job] { job(0u); };
    int cpu = -1;  // a new thread each time: bound afresh
    follow_caller(&thread_, 1, &cpu);
    go();
    if (pthread_join(thread_, nullptr) != 0) std::abort();
    job_ = nullptr;
    spawn();
  }

 private:
  void spawn() {
    gen_.store(0, std::memory_order_relaxed);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, stack_);
    if (pthread_create(&thread_, &a, &entry, this) != 0) std::abort();
    pthread_attr_destroy(&a);
    started_ = true;
  }
  static void* entry(void* arg) {
    auto* self = static_cast<SpareThread*>(arg);
    while (self->gen_.load(std::memory_order_acquire) == 0)
      syscall(SYS_futex, reinterpret_cast<unsigned*>(&self->gen_), FUTEX_WAIT_PRIVATE, 0u, nullptr, nullptr, 0);
    if (self->job_) self->job_();
    return nullptr;
  }
  void go() {
    gen_.store(1, std::memory_order_release);
    syscall(SYS_futex, reinterpret_cast<unsigned*>(&gen_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }

  const size_t stack_;
  bool started_ = false;
  pthread_t thread_{};
  std::function<void()> job_;
  std::atomic<unsigned> gen_{0};
};

// The full walks (the invariant checkers at level 2 and a harness's walk of its whole model) run
// every kWalkEvery operations and once more at the end of the input; the checks after each
// operation are O(1) in the size of the model (the objects the operation touched). A state the
// walks alone catch is caught at most kWalkEvery operations late, and always by the input's end
// (docs/fuzzing.md: 16 -> 32 kept every seeded bug found in the same time).
inline constexpr unsigned kWalkEvery = 32;
class Cadence {
 public:
  bool due() { return ++n_ % kWalkEvery == 0; }

 private:
  unsigned n_ = 0;
};

}  // namespace hm_fuzz
