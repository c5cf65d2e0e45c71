// invariants/: the incremental walker behind HAKMEM_CHECK=2. A checked operation checks what it
// touched (hooks.cc); the walks whose cost grows with the heap are spread over the thread's
// operations instead: each malloc, free, refill and flush of the thread earns kStepBlocks of
// credit, which the walker spends walking the next page of its own heap (a page costs its
// carved blocks plus one), then the class's bin list and page queues, class after class; after
// the last class it walks the boxes every thread shares (transfer, segments, pool, large
// cache) and starts a new round. So every page of a thread's heap is walked within one round,
// and a round lasts at most (carved blocks + pages + queue hops + kGlobalCost) / kStepBlocks
// + kClassCount + 1 of the thread's checked operations (docs/checks.md). Full walks of the
// whole heap run at thread exit, at malloc_trim and at process exit.
#include <time.h>

#include <atomic>
#include <cstdio>

#include "check.h"
#include "config/config.h"
#include "page/page.h"
#include "heap/inspect.h"
#include "tcache/inspect.h"

namespace hm::check {
namespace {

struct Cursor {
  const Heap* heap;  // the heap the round walks; another heap restarts the round
  unsigned cls;      // class being walked; kClassCount: the shared boxes are next
  unsigned index;    // the next page of the class, avail queue first, then full
  int64_t credit;    // blocks the walker may visit now (negative: a debt from a large page)
};
constinit thread_local Cursor tl_cursor HM_TLS = {nullptr, 0, 0, 0};

constinit std::atomic<uint64_t> g_checks{0}, g_check_ns{0}, g_pages{0}, g_rounds{0}, g_full{0};

// The index-th page of class cls in h's queues (avail, then full), at most the queues' counts
// of links followed; nullptr past the last. *hops receives the links followed.
const Page* nth_page(const Heap* h, unsigned cls, unsigned index, unsigned* hops) {
  *hops = 0;
  for (const PageQueue* q : {&h->avail[cls], &h->full[cls]}) {
    if (index >= q->count) {
      index -= q->count;
      continue;
    }
    const Page* pg = q->head;
    for (unsigned i = 0; pg && i < index; ++i, ++*hops) pg = heap_page_next(pg);
    return pg;
  }
  return nullptr;
}

// Whether class cls of h holds nothing and says so: an empty bin (no head, no count) and empty
// queues (no head, no tail, no count). check_bin_list and check_queues pass such a class without
// a finding, so the walker skips their calls for it (most classes of a heap are empty).
HM_FAST_PATH bool class_empty(const Heap* h, unsigned cls) {
  const Bin& bin = tcache_of(h)->bins[cls];
  const PageQueue& a = h->avail[cls];
  const PageQueue& f = h->full[cls];
  return !bin.head && bin.room == bin.bound && !tcache_of(h)->spare[cls] && !a.head && !a.tail && !a.count && !f.head && !f.tail && !f.count;
}

void shared_boxes(Sink& s) {
  check_transfer(s);
  if (s.count()) return;
  check_segments(s, 2);
  if (s.count()) return;
  check_pagemap(s);
  if (s.count()) return;
  check_pool(s, 2);
  if (s.count()) return;
  check_large_cache(s, 2);
  if (s.count()) return;
  check_front(s, 2);
}

}  // namespace

constinit thread_local uint32_t tl_checks HM_TLS = 0;  // this thread's checks not yet in g_checks

void walker_step(Sink& s, const Heap* h) {
  if (!h->real) return;
  Cursor& c = tl_cursor;
  if (c.heap != h) c = {h, 0, 0, 0};
  c.credit += kStepBlocks;
  while (c.credit > 0 && !s.count()) {
    if (c.cls >= kClassCount) {  // the end of a round: the shared boxes, then a new round
      shared_boxes(s);
      c.credit -= kGlobalCost;
      c.cls = 0;
      c.index = 0;
      g_rounds.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    unsigned hops = 0;
    if (const Page* pg = nth_page(h, c.cls, c.index, &hops)) {
      if (check_page_o1(s, pg)) check_page_walk(s, pg, h);
      c.credit -= 1 + hops + pg->carved.load(std::memory_order_relaxed);
      c.index++;
      g_pages.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (!class_empty(h, c.cls) && check_bin_list(s, h, c.cls)) check_queues(s, h, c.cls);
    c.credit -= 1 + hops + tcache_of(h)->bins[c.cls].count();
    c.cls++;
    c.index = 0;
  }
}

uint64_t walker_round_ops(const Heap* h) {
  if (!h->real) return 0;
  uint64_t cost = kGlobalCost, largest = 0;
  for (unsigned c = 0; c < kClassCount; ++c) {
    uint32_t n = h->avail[c].count + h->full[c].count;
    cost += 1 + n + tcache_of(h)->bins[c].count();
    cost += uint64_t{n} * n;  // links followed to reach each page, at most
    for (const PageQueue* q : {&h->avail[c], &h->full[c]}) {
      uint32_t i = 0;
      for (const Page* pg = q->head; pg && i < q->count; pg = heap_page_next(pg), ++i) {
        uint64_t carved = pg->carved.load(std::memory_order_relaxed);
        cost += 1 + carved;
        if (carved > largest) largest = carved;
      }
    }
  }
  // A round may start with a debt of up to the largest page and must then run whole.
  return (cost + largest + kStepBlocks - 1) / kStepBlocks + kClassCount + 2;
}

void walk_all_mine(Sink& s) {
  const Heap* h = tcache_heap();
  if (h->real) check_heap(s, h, 2, -1, -1);
  if (!s.count()) shared_boxes(s);
  g_full.fetch_add(1, std::memory_order_relaxed);
}

void walk_heap(Sink& s, const Heap* h) {
  if (h->real) check_heap(s, h, 2, -1, -1);
  g_full.fetch_add(1, std::memory_order_relaxed);
}

uint64_t check_clock_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

void count_batch() { g_checks.fetch_add(kTimedEvery, std::memory_order_relaxed); }

void flush_check_count() {
  g_checks.fetch_add(tl_checks % kTimedEvery, std::memory_order_relaxed);
  tl_checks = 0;
}

void time_check(uint64_t ns) { g_check_ns.fetch_add(ns * kTimedEvery, std::memory_order_relaxed); }

CheckSummary check_summary() {
  return {g_checks.load(std::memory_order_relaxed), g_check_ns.load(std::memory_order_relaxed),
          g_pages.load(std::memory_order_relaxed), g_rounds.load(std::memory_order_relaxed),
          g_full.load(std::memory_order_relaxed)};
}

void write_check_summary(const char* path) {
  flush_check_count();
  CheckSummary c = check_summary();
  FILE* f = std::fopen(path, "a");
  if (!f) return;
  std::fprintf(f,
               "{\"hakmem_check_summary\":1,\"level\":%d,\"checks\":%llu,\"check_ns_estimate\":%llu,\"pages_walked\":%llu,"
               "\"rounds\":%llu,\"full_walks\":%llu}\n",
               hook_level(), static_cast<unsigned long long>(c.checks), static_cast<unsigned long long>(c.ns),
               static_cast<unsigned long long>(c.pages), static_cast<unsigned long long>(c.rounds),
               static_cast<unsigned long long>(c.full));
  std::fclose(f);
}

}  // namespace hm::check
