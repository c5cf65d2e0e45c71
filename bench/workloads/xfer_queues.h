// The three hand-offs of the xfer, pipe and mailbox profiles: queues from producer threads to
// one consumer, of pointer batches (xfer, pipe) or of single pointers (mailbox). Their storage is
// fixed, so a queue never calls the allocator under test, and at most kQueueCap batches per queue
// (xfer) or per producer (pipe), or kMailboxCap blocks (mailbox), are in flight, so a fast
// producer waits instead of piling up memory.
#pragma once

#include <sched.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace hmb {

constexpr size_t kBatch = 64, kQueueCap = 16;
struct Batch {
  uint32_t n = 0;
  void* p[kBatch];
};

// What xfer's and mailbox's queues share: one mutex, a condition variable for each waiting side,
// and the count of producers still running.
class LockedHandoff {
 public:
  explicit LockedHandoff(unsigned producers) : producers_left_(producers) {}
  void producer_done() {
    {
      std::lock_guard<std::mutex> g(m_);
      --producers_left_;
    }
    not_empty_.notify_all();
  }

 protected:
  std::mutex m_;
  std::condition_variable not_full_, not_empty_;
  unsigned producers_left_;
};

// xfer's queue: a bounded multi-producer queue under one mutex, whose waiting side sleeps on
// a condition variable, as most programs' work queues do.
class XferQueue : public LockedHandoff {
 public:
  static constexpr unsigned kMaxProducers = ~0u;
  static constexpr bool kPerBlock = false;  // pushed a batch at a time
  explicit XferQueue(unsigned producers) : LockedHandoff(producers) {}
  void push(unsigned /*producer*/, const Batch& b) {
    std::unique_lock<std::mutex> g(m_);
    not_full_.wait(g, [&] { return count_ < kQueueCap; });
    ring_[(head_ + count_) % kQueueCap] = b;
    ++count_;
    g.unlock();
    not_empty_.notify_one();
  }
  // False once every producer is done and the queue is empty.
  bool pop(Batch& b) {
    std::unique_lock<std::mutex> g(m_);
    not_empty_.wait(g, [&] { return count_ > 0 || producers_left_ == 0; });
    if (count_ == 0) return false;
    b = ring_[head_];
    head_ = (head_ + 1) % kQueueCap;
    --count_;
    g.unlock();
    not_full_.notify_all();
    return true;
  }

 private:
  Batch ring_[kQueueCap];
  size_t head_ = 0, count_ = 0;
};

// pipe's queue: one single-producer ring per producer, drained by one consumer. A side
// that finds nothing to do polls, yielding its CPU between looks (to the other thread
// pinned there, if any), and sleeps on a futex only after about 4k empty looks; the side
// that makes progress wakes it only when it sleeps. A pipeline's faster stage thus waits
// for the slower one without a system call's round trip per batch.
class PipeQueue {
 public:
  static constexpr unsigned kMaxProducers = 4;
  static constexpr bool kPerBlock = false;
  explicit PipeQueue(unsigned producers) : n_(producers), producers_left_(producers) {}
  // Producer `id` only.
  void push(unsigned id, const Batch& b) {
    Ring& r = rings_[id];
    uint32_t t = r.tail.load(std::memory_order_relaxed);
    wait_until(r.head, r.producer_sleeps, [&] { return t - r.head.load(std::memory_order_seq_cst) < kQueueCap; });
    r.slot[t % kQueueCap] = b;
    r.tail.store(t + 1, std::memory_order_seq_cst);
    wake_consumer();
  }
  void producer_done() {
    producers_left_.fetch_sub(1, std::memory_order_seq_cst);
    wake_consumer();
  }
  // The consumer: false once every producer is done and every ring is empty.
  bool pop(Batch& b) {
    bool got = false, done = false;
    wait_until(pushes_, consumer_sleeps_, [&] {
      done = producers_left_.load(std::memory_order_seq_cst) == 0;
      for (unsigned k = 0; k < n_ && !got; ++k) {
        Ring& r = rings_[(next_ + k) % n_];
        uint32_t h = r.head.load(std::memory_order_relaxed);
        if (h == r.tail.load(std::memory_order_seq_cst)) continue;
        b = r.slot[h % kQueueCap];
        r.head.store(h + 1, std::memory_order_seq_cst);
        wake(r.head, r.producer_sleeps);
        next_ = (next_ + k + 1) % n_;
        got = true;
      }
      return got || done;
    });
    return got;
  }

 private:
  // Polls ready() until it holds: yields between looks, then sleeps on `word` (which the
  // other side changes, then calls wake) with `sleeps` raised.
  template <class F>
  static void wait_until(std::atomic<uint32_t>& word, std::atomic<bool>& sleeps, F ready) {
    for (unsigned i = 0; i < 4096; ++i) {
      if (ready()) return;
      sched_yield();
    }
    for (;;) {
      uint32_t w = word.load(std::memory_order_seq_cst);
      sleeps.store(true, std::memory_order_seq_cst);
      if (ready()) break;
      word.wait(w, std::memory_order_seq_cst);
    }
    sleeps.store(false, std::memory_order_relaxed);
  }
  static void wake(std::atomic<uint32_t>& word, std::atomic<bool>& sleeps) {
    if (sleeps.load(std::memory_order_seq_cst)) word.notify_all();
  }
  void wake_consumer() {
    pushes_.fetch_add(1, std::memory_order_seq_cst);
    wake(pushes_, consumer_sleeps_);
  }
  struct Ring {
    alignas(64) std::atomic<uint32_t> head{0};  // the consumer's
    std::atomic<bool> producer_sleeps{false};
    alignas(64) std::atomic<uint32_t> tail{0};  // the producer's
    Batch slot[kQueueCap];
  };
  Ring rings_[kMaxProducers];
  unsigned n_;
  alignas(64) std::atomic<uint32_t> pushes_{0};  // bumped by every push and producer_done
  std::atomic<bool> consumer_sleeps_{false};
  std::atomic<unsigned> producers_left_;
  unsigned next_ = 0;
};

// mailbox's queue: a deep ring of single blocks under one mutex, as a logger's or an actor's
// mailbox is: the producer pushes every block on its own (a lock round per block) and signals
// the condition variable every kBatch pushes; the consumer, woken, takes up to kBatch blocks a
// lock round. The ring is deep enough that the producer runs ahead of the consumer instead of
// waiting on it batch by batch, as xfer's producer does.
constexpr size_t kMailboxCap = 4096;
class MailboxQueue : public LockedHandoff {
 public:
  static constexpr unsigned kMaxProducers = ~0u;
  static constexpr bool kPerBlock = true;
  explicit MailboxQueue(unsigned producers) : LockedHandoff(producers) {}
  void push_one(void* p) {
    std::unique_lock<std::mutex> g(m_);
    not_full_.wait(g, [&] { return count_ < kMailboxCap; });
    ring_[(head_ + count_) % kMailboxCap] = p;
    ++count_;
    bool signal = ++pushes_ % kBatch == 0;
    g.unlock();
    if (signal) not_empty_.notify_one();
  }
  // False once every producer is done and the ring is empty.
  bool pop(Batch& b) {
    std::unique_lock<std::mutex> g(m_);
    not_empty_.wait(g, [&] { return count_ > 0 || producers_left_ == 0; });
    if (count_ == 0) return false;
    b.n = 0;
    while (count_ > 0 && b.n < kBatch) {
      b.p[b.n++] = ring_[head_];
      head_ = (head_ + 1) % kMailboxCap;
      --count_;
    }
    bool was_full = count_ + b.n >= kMailboxCap;
    g.unlock();
    if (was_full) not_full_.notify_all();
    return true;
  }

 private:
  void* ring_[kMailboxCap];
  size_t head_ = 0, count_ = 0;
  uint64_t pushes_ = 0;
};

}  // namespace hmb
