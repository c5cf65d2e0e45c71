// transfer box boundary: a central cache of block batches, one stack per size class, through
// which a thread whose bin overflowed hands the older half to a thread whose bin ran dry.
// A batch crosses threads with one lock, where returning it to its pages costs one page
// visit per block and, for another thread's page, one atomic push per block.
//
//   tcache_free_slow (bin full) ── transfer_put ──▶ [class stack] ──▶ transfer_take ── tcache_refill (bin empty)
//
// A batch keeps its blocks as the bin held them: a null-terminated chain linked through
// `next`, each block with its free cookie, still counted `used` by its page. The box holds
// at most HAKMEM_TRANSFER_KB of blocks over all classes (0: off); a put beyond that, or into
// a class whose stack is full, fails and the caller returns the blocks to their pages.
// A batch can also name its first HAKMEM_TRANSFER_PREFETCH blocks (a research gate, off by
// default), which transfer_take prefetches for writing: the taker's pops follow the chain, and
// its blocks' lines are most often in the putting thread's cache, so the walk would otherwise
// wait for each line in turn. The putter gives the names it knows (a consumer's spare, named by
// the walk its swap makes anyway: tcache.cc); the box walks no chain for them.
// Like the remote box it keeps no counters: its callers count in their per-thread counters.
#pragma once

#include "page/page.h"

namespace hm {

inline constexpr unsigned kTransferSlots = 16;  // batches per class
// The most blocks a batch names for prefetching (a whole spare of the default bounds). The names
// live in one of kTransferNameBuffers buffers of the box, lent to a named put while one is free
// and back at the take (a batch put when all are lent goes unnamed): producer/consumer hand-offs
// hold a batch or two at a time, and the buffers cost 32 KiB of bss where one per slot would
// cost 3.5 MiB.
inline constexpr unsigned kTransferHints = 256;
inline constexpr unsigned kTransferNameBuffers = 16;
// Classes below a cache line get no hints: neighbours in a chain (freed in the order they were
// handed out) often share a line, so a pop misses once per line, and naming them cost more than
// the prefetch saved (pipe:16 lost 10% when the put walked the chain for its names).
inline constexpr size_t kTransferHintMinSize = 64;

struct TransferBatch {
  Block* head;
  uint32_t n;
  uint16_t hints;       // the chain's first `hints` blocks, in order, are hint[0..hints)
  uint16_t demoted_on;  // the CPU (plus one) whose cache demoted the blocks' lines; 0: none
  Block** hint;         // the names' buffer (nullptr when it has none)
};

// Hands over the chain head.. of n >= 1 blocks of class cls; false (nothing taken) when off,
// full, or n is 0. named[0..named_n): the chain's first blocks in order, when the caller knows
// them: the batch keeps as many as HAKMEM_TRANSFER_PREFETCH and kTransferHints allow (classes of
// kTransferHintMinSize bytes and up), and the taker prefetches them.
// demoted_on: the CPU (plus one) whose cache demoted the chain's lines (HAKMEM_TRANSFER_DEMOTE=3),
// kept with the batch for the takers' choice; 0: not demoted.
bool transfer_put(unsigned cls, Block* head, uint32_t n, Block* const* named = nullptr, uint32_t named_n = 0,
                  uint16_t demoted_on = 0);
// Takes a batch of class cls into *head when it has at most `most` blocks; returns its block
// count, or 0 with *head set to nullptr when there is none (or it is larger). The batch is the
// newest, or, for a taker that names its CPU (taker_cpu: CPU plus one), the newest of the first
// kind there is of: demoted on another CPU (its lines wait in the shared cache for a core like
// this one), not demoted, demoted on this CPU (its lines left the cache this core reads).
uint32_t transfer_take(unsigned cls, Block** head, uint32_t most = ~0u, uint32_t taker_cpu = 0);
// HAKMEM_TRANSFER_RECLAIM: a batch of class cls whose first block's page `owner` owns, into
// *head, as transfer_take, but only when no taker has come for the class since the last call
// for it that found it taken from; returns its block count, or 0 (an empty class is passed by
// unmarked; one taken from is marked seen). Called until it returns 0, it takes every such batch of a class that
// went idle between two looks (tcache.cc: reclaim_idle). Batches of other threads' blocks stay:
// they are the hand-off between threads the box is for.
uint32_t transfer_take_idle(unsigned cls, const Heap* owner, Block** head);
// Bytes of blocks held over all classes (a racy snapshot; the stats box prints it).
uint64_t transfer_bytes();

// Process start-up: registers the fork handlers that hold the box's lock across fork() (once;
// later calls return at once). Called by the tcache box at process start-up.
void transfer_process_init();

// Under the box's lock, calls fn on each batch (newest last) and returns
// the byte total the box keeps for them.
uint64_t transfer_visit(void (*fn)(unsigned cls, const TransferBatch& b, void* arg), void* arg);
// For checkers and tests: transfer/inspect.h.

}  // namespace hm
