// hakmem public API: the prefixed entry points.
// Each function behaves as its glibc 2.36 namesake (errno, NULL, edge cases);
// they can be used side by side with the system allocator in one process.
#ifndef HAKMEM_HAKMEM_H
#define HAKMEM_HAKMEM_H

#include <stddef.h>

#if defined(__GNUC__)
#define HM_API __attribute__((visibility("default")))
#else
#define HM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

HM_API void* hm_malloc(size_t size);
HM_API void hm_free(void* p);
HM_API void* hm_calloc(size_t n, size_t size);
HM_API void* hm_realloc(void* p, size_t size);
HM_API void* hm_reallocarray(void* p, size_t n, size_t size);
HM_API void* hm_aligned_alloc(size_t alignment, size_t size);
HM_API int hm_posix_memalign(void** out, size_t alignment, size_t size);
HM_API void* hm_memalign(size_t alignment, size_t size);
HM_API void* hm_valloc(size_t size);
HM_API void* hm_pvalloc(size_t size);
HM_API size_t hm_malloc_usable_size(void* p);

// Sized and aligned frees used by the C++ operators; size/alignment must match the allocation.
HM_API void hm_free_sized(void* p, size_t size);
HM_API void hm_free_aligned(void* p, size_t alignment);

// Returns this thread's cached blocks, and the batches waiting between threads, to their pages,
// and this thread's empty pages to the OS.
HM_API void hm_thread_flush(void);

// malloc_trim: gives back what hakmem holds for reuse -- this thread's cached blocks and the
// batches between threads (as hm_thread_flush), every heap that exited threads left waiting for
// the next thread (their empty pages freed, pages with live blocks handed to running threads),
// the cached large mappings, and the memory of freed spans. `pad` is ignored. Returns 1 when
// memory was released, else 0, as glibc does. HAKMEM_TRIM=0 makes it release nothing.
HM_API int hm_trim(size_t pad);

// Registry dump of boxes, gates, invariants and misuse kinds as one JSON document (static storage).
HM_API const char* hm_registry_json(void);

#ifdef __cplusplus
}
#endif

#endif  // HAKMEM_HAKMEM_H
