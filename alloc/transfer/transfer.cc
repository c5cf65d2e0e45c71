// transfer box: one mutex over a stack of batches per class and the byte total. A batch
// crosses the lock a few times per thousand operations, so one lock does not contend on the
// machines the box is measured on, and the checkers and fork see the whole box at once.
#include "transfer/transfer.h"
#include "transfer/inspect.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>

#include "config/config.h"
#include "report/report.h"
#include "sizeclass/sizeclass.h"

namespace hm {
namespace {

// A class's count, on a line of its own; its batches are g_slots[cls]. The counts sit apart from
// the slots, so a refill's look at an empty class reads one of two pages rather than one page in
// nine classes' slots (a small program touches a page of the box per class it uses otherwise).
struct alignas(64) ClassStack {
  std::atomic<uint32_t> count{0};  // read without the lock to skip an empty class
  // Batches taken by transfer_take (written under g_lock), and their number at the last
  // transfer_take_idle that found the class taken from: read without the lock to pass an
  // active class by.
  std::atomic<uint32_t> takes{0};
  std::atomic<uint32_t> takes_seen{0};
};

constinit pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
constinit ClassStack g_stacks[kClassCount];
constinit TransferBatch g_slots[kClassCount][kTransferSlots]{};  // under g_lock
constinit Block* g_names[kTransferNameBuffers][kTransferHints];  // the batches' names (under g_lock)
constinit uint32_t g_names_free = (uint32_t{1} << kTransferNameBuffers) - 1;  // buffers not lent
static_assert(kTransferNameBuffers <= 32, "g_names_free has a bit per buffer");
constinit uint64_t g_bytes = 0;  // under g_lock
constinit std::atomic<uint64_t> g_bytes_seen{0};  // g_bytes for transfer_bytes() readers

}  // namespace

bool transfer_put(unsigned cls, Block* head, uint32_t n, Block* const* named, uint32_t named_n, uint16_t demoted_on) {
  uint64_t limit = static_cast<uint64_t>(config().transfer_kb) << 10;
  uint64_t bytes = uint64_t{n} * class_to_size(cls);
  if (n == 0 || bytes > limit) return false;
  HM_CHECK_HOOK(transfer_put, head, cls);  // the chain is still the caller's
  // The hints: as many of the names the caller gives as the gate and the slot take. The put walks
  // no chain for them (a walk over a bin's older half, often out of this core's cache, cost more
  // than the prefetch saved: bench/README.md).
  uint32_t hints = 0;
  if (named && class_to_size(cls) >= kTransferHintMinSize)
    hints = std::min<uint32_t>({named_n, n, static_cast<uint32_t>(config().transfer_prefetch), kTransferHints});
  ClassStack& s = g_stacks[cls];
  pthread_mutex_lock(&g_lock);
  uint32_t c = s.count.load(std::memory_order_relaxed);
  bool ok = c < kTransferSlots && g_bytes + bytes <= limit;
  if (ok) {
    TransferBatch& slot = g_slots[cls][c];
    if (!g_names_free) hints = 0;  // every buffer lent: the batch goes unnamed
    slot.head = head, slot.n = n, slot.hints = static_cast<uint16_t>(hints), slot.hint = nullptr;
    slot.demoted_on = demoted_on;
    if (hints) {
      unsigned k = static_cast<unsigned>(__builtin_ctz(g_names_free));
      g_names_free &= ~(uint32_t{1} << k);
      slot.hint = g_names[k];
      for (uint32_t i = 0; i < hints; ++i) slot.hint[i] = named[i];
    }
    s.count.store(c + 1, std::memory_order_relaxed);
    g_bytes += bytes;
    g_bytes_seen.store(g_bytes, std::memory_order_relaxed);
  }
  pthread_mutex_unlock(&g_lock);
  return ok;
}

namespace {
// The slot a taker on CPU taker_cpu (plus one; 0: any) takes from a stack of c >= 1 batches: the
// newest of the first kind there is of (transfer_take).
uint32_t chosen_slot(const TransferBatch* slots, uint32_t c, uint32_t taker_cpu) {
  if (taker_cpu == 0) return c - 1;
  uint32_t best = c - 1, best_rank = 3;
  for (uint32_t i = c; i-- > 0;) {
    uint32_t on = slots[i].demoted_on;
    uint32_t rank = on == 0 ? 1 : on == taker_cpu ? 2 : 0;
    if (rank < best_rank) best = i, best_rank = rank;
    if (rank == 0) break;
  }
  return best;
}

// Removes slot at of the c batches in cls's stack, under g_lock: lends its names buffer back,
// keeps the newer batches' order, and takes its bytes off the total.
void remove_slot(unsigned cls, ClassStack& s, uint32_t at, uint32_t c) {
  const TransferBatch& b = g_slots[cls][at];
  if (b.hint) g_names_free |= uint32_t{1} << ((b.hint - g_names[0]) / kTransferHints);
  g_bytes -= uint64_t{b.n} * class_to_size(cls);
  g_bytes_seen.store(g_bytes, std::memory_order_relaxed);
  for (uint32_t i = at; i + 1 < c; ++i) g_slots[cls][i] = g_slots[cls][i + 1];
  s.count.store(c - 1, std::memory_order_relaxed);
}
}  // namespace

uint32_t transfer_take(unsigned cls, Block** head, uint32_t most, uint32_t taker_cpu) {
  ClassStack& s = g_stacks[cls];
  Block* first = nullptr;
  uint32_t n = 0, hints = 0;
  Block* hint[kTransferHints];
  if (s.count.load(std::memory_order_relaxed) != 0) {
    pthread_mutex_lock(&g_lock);
    uint32_t c = s.count.load(std::memory_order_relaxed);
    uint32_t at = c ? chosen_slot(g_slots[cls], c, taker_cpu) : 0;
    if (c && g_slots[cls][at].n <= most) {
      const TransferBatch& b = g_slots[cls][at];
      first = b.head, n = b.n, hints = b.hints;
      for (uint32_t i = 0; i < hints; ++i) hint[i] = b.hint[i];
      remove_slot(cls, s, at, c);
      s.takes.store(s.takes.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    pthread_mutex_unlock(&g_lock);
  }
  // After the lock: a prefetch that waits for a free line-fill buffer holds no other thread.
  for (uint32_t i = 0; i < hints; ++i) HM_PREFETCH_W(hint[i]);
  if (n) HM_CHECK_HOOK(transfer_take, first, cls);  // the batch is now the caller's
  *head = first;
  return n;
}

uint32_t transfer_take_idle(unsigned cls, const Heap* owner, Block** head) {
  ClassStack& s = g_stacks[cls];
  *head = nullptr;
  // Without the lock: an empty class, or one taken from since the last look (marked seen now).
  if (s.count.load(std::memory_order_relaxed) == 0) return 0;
  uint32_t takes = s.takes.load(std::memory_order_relaxed);
  if (takes != s.takes_seen.load(std::memory_order_relaxed)) {  // a take racing this mark: seen at the next look
    s.takes_seen.store(takes, std::memory_order_relaxed);
    return 0;
  }
  uint32_t n = 0;
  pthread_mutex_lock(&g_lock);
  uint32_t c = s.count.load(std::memory_order_relaxed);
  uint32_t at = 0;  // the oldest batch of owner's blocks: no hints or CPU to honour, nobody waits for it
  if (s.takes.load(std::memory_order_relaxed) != s.takes_seen.load(std::memory_order_relaxed)) at = c;
  while (at < c && page_of(reinterpret_cast<uintptr_t>(g_slots[cls][at].head))->owner.load(std::memory_order_relaxed) != owner) ++at;
  if (at == c) {
    s.takes_seen.store(s.takes.load(std::memory_order_relaxed), std::memory_order_relaxed);
  } else {
    const TransferBatch& b = g_slots[cls][at];
    *head = b.head, n = b.n;
    remove_slot(cls, s, at, c);
  }
  pthread_mutex_unlock(&g_lock);
  if (n) HM_CHECK_HOOK(transfer_take, *head, cls);  // the batch is now the caller's
  return n;
}

uint64_t transfer_bytes() { return g_bytes_seen.load(std::memory_order_relaxed); }

void transfer_process_init() {
  static std::atomic<bool> registered{false};  // a second prepare handler would lock g_lock twice
  if (registered.exchange(true, std::memory_order_acq_rel)) return;
  pthread_atfork([] { pthread_mutex_lock(&g_lock); }, [] { pthread_mutex_unlock(&g_lock); },
                 [] { pthread_mutex_unlock(&g_lock); });
}

uint64_t transfer_visit(void (*fn)(unsigned, const TransferBatch&, void*), void* arg) {
  pthread_mutex_lock(&g_lock);
  for (unsigned c = 0; c < kClassCount; ++c) {
    uint32_t n = g_stacks[c].count.load(std::memory_order_relaxed);
    for (uint32_t i = 0; i < n && i < kTransferSlots; ++i) fn(c, g_slots[c][i], arg);
  }
  uint64_t bytes = g_bytes;
  pthread_mutex_unlock(&g_lock);
  return bytes;
}

void transfer_idle_reset_for_test() {
  pthread_mutex_lock(&g_lock);
  for (ClassStack& s : g_stacks) s.takes.store(0, std::memory_order_relaxed), s.takes_seen.store(0, std::memory_order_relaxed);
  pthread_mutex_unlock(&g_lock);
}

TransferBatch* transfer_batch_for_test(unsigned cls, unsigned i) {
  ClassStack& s = g_stacks[cls];
  return i < s.count.load(std::memory_order_relaxed) ? &g_slots[cls][i] : nullptr;
}

}  // namespace hm
