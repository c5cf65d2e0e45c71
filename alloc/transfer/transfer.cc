// transfer box: per class, a mutex-guarded stack of batches, and one byte total for the bound.
#include "transfer/transfer.h"

#include <pthread.h>

#include "config/config.h"
#include "report/report.h"
#include "sizeclass/sizeclass.h"

namespace hm {
namespace {

struct alignas(64) ClassStack {
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  std::atomic<uint32_t> count{0};  // read without the lock to skip an empty class
  TransferBatch slots[kTransferSlots];
};

ClassStack g_stacks[kClassCount];
std::atomic<uint64_t> g_bytes{0};

void lock_all() {
  for (auto& s : g_stacks) pthread_mutex_lock(&s.lock);
}
void unlock_all() {
  for (auto& s : g_stacks) pthread_mutex_unlock(&s.lock);
}

}  // namespace

bool transfer_put(unsigned cls, Block* head, uint32_t n) {
  uint64_t limit = static_cast<uint64_t>(config().transfer_kb) << 10;
  uint64_t bytes = uint64_t{n} * class_to_size(cls);
  if (bytes > limit) return false;
  ClassStack& s = g_stacks[cls];
  pthread_mutex_lock(&s.lock);
  uint32_t c = s.count.load(std::memory_order_relaxed);
  bool ok = c < kTransferSlots && g_bytes.fetch_add(bytes, std::memory_order_relaxed) + bytes <= limit;
  if (ok) {
    s.slots[c] = {head, n};
    s.count.store(c + 1, std::memory_order_relaxed);
  } else if (c < kTransferSlots) {
    g_bytes.fetch_sub(bytes, std::memory_order_relaxed);
  }
  pthread_mutex_unlock(&s.lock);
  HM_CHECK_HOOK(transfer_put, head, cls);
  return ok;
}

uint32_t transfer_take(unsigned cls, Block** head) {
  ClassStack& s = g_stacks[cls];
  if (s.count.load(std::memory_order_relaxed) == 0) return 0;
  pthread_mutex_lock(&s.lock);
  uint32_t c = s.count.load(std::memory_order_relaxed);
  TransferBatch b{nullptr, 0};
  if (c) {
    b = s.slots[c - 1];
    s.count.store(c - 1, std::memory_order_relaxed);
    g_bytes.fetch_sub(uint64_t{b.n} * class_to_size(cls), std::memory_order_relaxed);
  }
  pthread_mutex_unlock(&s.lock);
  if (b.n) HM_CHECK_HOOK(transfer_take, b.head, cls);
  *head = b.head;
  return b.n;
}

uint64_t transfer_bytes() { return g_bytes.load(std::memory_order_relaxed); }

void transfer_process_init() { pthread_atfork(lock_all, unlock_all, unlock_all); }

uint64_t transfer_visit(void (*fn)(unsigned, const TransferBatch&, void*), void* arg) {
  lock_all();
  for (unsigned c = 0; c < kClassCount; ++c) {
    uint32_t n = g_stacks[c].count.load(std::memory_order_relaxed);
    for (uint32_t i = 0; i < n && i < kTransferSlots; ++i) fn(c, g_stacks[c].slots[i], arg);
  }
  uint64_t bytes = g_bytes.load(std::memory_order_relaxed);
  unlock_all();
  return bytes;
}

TransferBatch* transfer_batch_for_test(unsigned cls, unsigned i) {
  ClassStack& s = g_stacks[cls];
  return i < s.count.load(std::memory_order_relaxed) ? &s.slots[i] : nullptr;
}

}  // namespace hm
