// The drop-in layer of the front box, linked into libhakmem.so only: the C allocation
// symbols and every C++ operator new/delete: the C symbols and operator delete are the hm_*
// functions themselves (link-time aliases), operator new a loop over hm_malloc.
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>

#include <cstddef>
#include <new>

#include "front/front.h"
#include "report/report.h"

#define HM_EXPORT extern "C" __attribute__((visibility("default")))

// The C symbols malloc, free, calloc, realloc, ... are not defined here: the link makes each the
// same address as its hm_* function (HAKMEM_DROP_IN_ALIASES in alloc/CMakeLists.txt), so a call from the
// program lands on the allocator's own entry with no jump in between.
static_assert(sizeof(&hm_malloc) == sizeof(void*));

namespace {

// libhakmem.so links no C++ runtime: a C program preloading it maps no libstdc++ (1.5 MB of
// resident pages and its start-up). operator new's failure path uses the program's own C++
// runtime, found when it is first needed: the new-handler std::set_new_handler installed,
// std::bad_alloc thrown by that runtime's thrower, and its nothrow operators, which call the
// throwing ones (these, by interposition) and turn a std::bad_alloc into nullptr. A program that
// calls operator new has a C++ runtime loaded: in the global scope, or (a C program's C++
// plugin opened with RTLD_LOCAL) found by its name.
using Handler = void (*)();
struct CxxRuntime {
  Handler (*get_new_handler)() noexcept = nullptr;
  void (*throw_bad_alloc)() = nullptr;  // does not return
  void* (*new_nothrow)(size_t, const std::nothrow_t&) noexcept = nullptr;
  void* (*new_aligned_nothrow)(size_t, std::align_val_t, const std::nothrow_t&) noexcept = nullptr;
};

CxxRuntime g_cxx;
pthread_once_t g_cxx_once = PTHREAD_ONCE_INIT;

template <class F>
void find(F& f, void* lib, const char* name, void* scope = RTLD_DEFAULT) {
  void* p = lib ? dlsym(lib, name) : nullptr;
  f = reinterpret_cast<F>(p ? p : dlsym(scope, name));
}

void find_cxx() {
  void* lib = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_NOLOAD);  // loaded already, or nullptr
  find(g_cxx.get_new_handler, lib, "_ZSt15get_new_handlerv");
  find(g_cxx.throw_bad_alloc, lib, "_ZSt17__throw_bad_allocv");
  if (!g_cxx.throw_bad_alloc) find(g_cxx.throw_bad_alloc, nullptr, "_ZNSt3__117__throw_bad_allocEv");  // libc++
  // The runtime's nothrow operators, not this library's (RTLD_NEXT skips it).
  find(g_cxx.new_nothrow, lib, "_ZnwmRKSt9nothrow_t", RTLD_NEXT);
  find(g_cxx.new_aligned_nothrow, lib, "_ZnwmSt11align_val_tRKSt9nothrow_t", RTLD_NEXT);
}

// Looked up once, at the first failure: whoever calls operator new has its runtime loaded.
const CxxRuntime& cxx() {
  pthread_once(&g_cxx_once, find_cxx);
  return g_cxx;
}

// operator new: retry through the new-handler, then throw (glibc/libstdc++ behaviour).
void* new_or_throw(size_t n, size_t align) {
  for (;;) {
    void* p = align ? hm_aligned_alloc(align, n) : hm_malloc(n);
    if (p) return p;
    const CxxRuntime& rt = cxx();
    Handler h = rt.get_new_handler ? rt.get_new_handler() : nullptr;
    if (h) {
      h();
      continue;
    }
    if (!rt.throw_bad_alloc) hm::report::report_fatal("operator new: out of memory", "no C++ runtime to throw std::bad_alloc");
    rt.throw_bad_alloc();
  }
}

// The nothrow forms: nullptr at once when no new-handler is installed (no exception involved);
// else the runtime's nothrow operator runs the handler loop above and catches its bad_alloc.
void* new_nothrow(size_t n, size_t align) noexcept {
  void* p = align ? hm_aligned_alloc(align, n) : hm_malloc(n);
  if (p) return p;
  const CxxRuntime& rt = cxx();
  if (!rt.get_new_handler || !rt.get_new_handler()) return nullptr;
  if (align) return rt.new_aligned_nothrow ? rt.new_aligned_nothrow(n, std::align_val_t(align), std::nothrow_t{}) : nullptr;
  return rt.new_nothrow ? rt.new_nothrow(n, std::nothrow_t{}) : nullptr;
}

}  // namespace

// The C++ library's failure entry points that the allocator's own std::string and std::vector
// code names (the registry's documents, registry/registry.cc), under their library symbols
// but hidden: the program's own runtime keeps its definitions. The allocator is built without
// exceptions, so a length or allocation failure there is a fatal report, and the library needs
// no C++ runtime for it.
#define HM_CXX_FAIL(fn, symbol)                                                                    \
  [[noreturn]] __attribute__((visibility("hidden"), used)) void fn(const char* what) asm(symbol); \
  void fn(const char* what) { hm::report::report_fatal("C++ library failure inside the allocator", what); }
HM_CXX_FAIL(hm_throw_length_error, "_ZSt20__throw_length_errorPKc")
HM_CXX_FAIL(hm_throw_logic_error, "_ZSt19__throw_logic_errorPKc")
#undef HM_CXX_FAIL
[[noreturn]] __attribute__((visibility("hidden"), used)) void hm_throw_out_of_range_fmt(const char* what, ...) asm(
    "_ZSt24__throw_out_of_range_fmtPKcz");
void hm_throw_out_of_range_fmt(const char* what, ...) {
  hm::report::report_fatal("C++ library failure inside the allocator", what);
}
[[noreturn]] __attribute__((visibility("hidden"), used)) void hm_throw_bad_alloc() asm("_ZSt17__throw_bad_allocv");
void hm_throw_bad_alloc() { hm::report::report_fatal("C++ library failure inside the allocator", "std::bad_alloc"); }
[[noreturn]] __attribute__((visibility("hidden"), used)) void hm_throw_bad_array_new_length() asm(
    "_ZSt28__throw_bad_array_new_lengthv");
void hm_throw_bad_array_new_length() {
  hm::report::report_fatal("C++ library failure inside the allocator", "std::bad_array_new_length");
}

#define HM_CXX __attribute__((visibility("default")))

HM_CXX void* operator new(size_t n) { return new_or_throw(n, 0); }
HM_CXX void* operator new[](size_t n) { return new_or_throw(n, 0); }
HM_CXX void* operator new(size_t n, const std::nothrow_t&) noexcept { return new_nothrow(n, 0); }
HM_CXX void* operator new[](size_t n, const std::nothrow_t&) noexcept { return new_nothrow(n, 0); }
HM_CXX void* operator new(size_t n, std::align_val_t a) { return new_or_throw(n, static_cast<size_t>(a)); }
HM_CXX void* operator new[](size_t n, std::align_val_t a) { return new_or_throw(n, static_cast<size_t>(a)); }
HM_CXX void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return new_nothrow(n, static_cast<size_t>(a));
}
HM_CXX void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return new_nothrow(n, static_cast<size_t>(a));
}

// Every operator delete is hm_free itself, as the C symbols are (HAKMEM_DROP_IN_ALIASES): a size or
// an alignment argument is ignored, since the block's page or header knows both.
