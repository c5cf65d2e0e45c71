/* hakmem invariant checks: the programmatic entry to the checkers of every box
 * (invariants/, IDs in alloc/registry/invariants.def), for tests, fuzzers and tools.
 *
 * Levels: 1 runs the O(1) checks of every object reached, 2 also walks the lists
 * (free lists, bins, remote queues, page queues, the slice map, the large cache).
 * What is checked: the configuration, the size classes, every live segment (under the
 * segment lock), the calling thread's heap and the pages it owns, and the large cache.
 * Other threads' heaps are not walked (they change under the checker); call from a
 * quiet point, e.g. after joining the workers. Nothing here allocates. */
#ifndef HAKMEM_CHECK_H
#define HAKMEM_CHECK_H

#include "hakmem/hakmem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The first broken invariant found. Strings are static; addresses may be NULL. */
struct hm_check_result {
  const char* box;   /* registry box name, e.g. "page" */
  const char* id;    /* invariant ID, e.g. "INV-PAGE-2" */
  const char* text;  /* invariant text */
  const void* addr;  /* the object */
  int size_class;    /* -1 when unknown */
  const void* page;  /* page metadata (large blocks: the mapping header), or NULL */
  const void* segment;
  char expected[96];
  char found[96];
};

/* Runs every checker at `level`; returns the number of violations and fills *out
 * (may be NULL) with the first. */
HM_API int hm_check_all(int level, struct hm_check_result* out);

/* The same for the invariants of one box (a registry box name); -1 for an unknown box.
 * Boxes without invariants ("os", "report", "stats") always return 0. */
HM_API int hm_check_box(const char* box, int level, struct hm_check_result* out);

/* O(1) checks of one live block returned by hm_malloc & co. (its page, or its large
 * header); -1 when p is not the start of a live hakmem block. */
HM_API int hm_check_block(const void* p, struct hm_check_result* out);

/* hm_check_all, and on a violation the fail-fast report (stderr, HAKMEM_REPORT) and
 * abort. Returns 0 when every invariant holds. */
HM_API int hm_check_fail_fast(int level);

/* A zero-gated counter: an event that never happens in a correct process, counted at
 * the boundary hooks of the debug build. */
struct hm_check_counter {
  const char* box;
  const char* name;
  const char* text;
  unsigned long long value;
};
/* Fills up to `max` counters into out (may be NULL); returns how many counters exist. */
HM_API int hm_check_counters(struct hm_check_counter* out, int max);
/* The sum of every zero-gated counter. */
HM_API unsigned long long hm_check_never_total(void);

/* 1 when the check hooks are compiled in (debug build, HAKMEM_DEBUG), else 0. */
HM_API int hm_check_hooks_compiled(void);

#ifdef __cplusplus
}
#endif

#endif /* HAKMEM_CHECK_H */
