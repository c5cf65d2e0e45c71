// Helper executable for cxx_new_test: exercises one group of C++ operator new/delete forms
// and prints every failed check. It links only the C++ runtime; the test runs it once as is
// (the expectations are then libstdc++'s own behaviour) and once with
// LD_PRELOAD=libhakmem.so (the operators must then be hakmem's and behave the same).
//
//   front_cxx_new_child <case> [--expect-lib=<path of the preloaded library>]
//
// Exit status 0 when every check passed, 1 when one failed, 2 on bad usage.
#include <dlfcn.h>
#include <malloc.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace {

int g_failures = 0;
#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);            \
      ++g_failures;                                                          \
    }                                                                        \
  } while (0)
#define CHECK_MSG(cond, ...)                                                 \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
      std::printf(__VA_ARGS__);                                              \
      std::printf("\n");                                                     \
      ++g_failures;                                                          \
    }                                                                        \
  } while (0)

// Keeps the optimiser from eliding allocations or reasoning about sizes.
void Escape(void* p) { asm volatile("" : : "g"(p) : "memory"); }
volatile size_t g_opaque;
size_t Opaque(size_t v) {
  g_opaque = v;
  return g_opaque;
}

constexpr size_t kSizeMax = std::numeric_limits<size_t>::max();
constexpr size_t kPtrdiffMax = static_cast<size_t>(std::numeric_limits<ptrdiff_t>::max());
const size_t kHuge[] = {kSizeMax, kSizeMax - 4096, kPtrdiffMax + 1, size_t{1} << 62};
// For the aligned forms, sizes within `alignment` of SIZE_MAX are checked only under the
// preload: libstdc++ 12's aligned operator new rounds the size up to a multiple of the
// alignment without an overflow check, so operator new(SIZE_MAX, align_val_t(64)) wraps to
// a tiny request and *succeeds* (a libstdc++ bug, not a semantic hakmem should copy).
const size_t kHugeAlignedPortable[] = {kPtrdiffMax + 1, size_t{1} << 62};
const size_t kHugeAlignedWrapping[] = {kSizeMax, kSizeMax - 4096};
bool g_strict = false;  // set when running under the preloaded library

template <typename Fn>
void ForEachHugeAligned(Fn fn) {
  for (size_t n : kHugeAlignedPortable) fn(n);
  if (g_strict) {
    for (size_t n : kHugeAlignedWrapping) fn(n);
  }
}
const size_t kSizes[] = {0, 1, 8, 16, 24, 100, 1000, 4096, 5000, 70000, 1 << 20, (3 << 20) + 5};
const size_t kAligns[] = {1, 2, 4, 8, 16, 32, 64, 128, 4096, 65536, 1 << 20, 4 << 20};

bool AlignedTo(const void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

void FillAndCheck(void* p, size_t n, unsigned char v) {
  if (n == 0) return;
  std::memset(p, v, n);
  auto* b = static_cast<unsigned char*>(p);
  CHECK_MSG(b[0] == v && b[n - 1] == v && b[n / 2] == v, "block of %zu bytes not writable", n);
  Escape(p);
}

// Runs fn, which must throw exactly std::bad_alloc (or a subclass).
void ExpectBadAlloc(const char* what, size_t n, const std::function<void()>& fn) {
  bool threw = false;
  try {
    fn();
  } catch (const std::bad_alloc&) {
    threw = true;
  } catch (...) {
    CHECK_MSG(false, "%s(%zu) threw something other than std::bad_alloc", what, n);
    return;
  }
  CHECK_MSG(threw, "%s(%zu) did not throw std::bad_alloc", what, n);
}

// ------------------------------------------------------------------ cases

// With --expect-lib: every allocation symbol the program uses resolves to the preloaded
// library, and hakmem's prefixed API is visible in the process. Without it: the baseline
// run really is without hakmem.
void CaseSymbols(const char* expect_lib) {
  static const char* const kSymbols[] = {
      "_Znwm", "_Znam", "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t",
      "_ZnwmSt11align_val_t", "_ZnamSt11align_val_t", "_ZnwmSt11align_val_tRKSt9nothrow_t",
      "_ZnamSt11align_val_tRKSt9nothrow_t", "_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm",
      "_ZdlPvRKSt9nothrow_t", "_ZdaPvRKSt9nothrow_t", "_ZdlPvSt11align_val_t",
      "_ZdaPvSt11align_val_t", "_ZdlPvmSt11align_val_t", "_ZdaPvmSt11align_val_t",
      "_ZdlPvSt11align_val_tRKSt9nothrow_t", "_ZdaPvSt11align_val_tRKSt9nothrow_t",
      "malloc", "free", "calloc", "realloc", "reallocarray", "aligned_alloc", "posix_memalign",
      "memalign", "valloc", "pvalloc", "malloc_usable_size"};
  if (expect_lib == nullptr) {
    CHECK_MSG(dlsym(RTLD_DEFAULT, "hm_malloc") == nullptr, "hm_malloc visible without preload");
    return;
  }
  char* want = realpath(expect_lib, nullptr);
  CHECK_MSG(want != nullptr, "cannot resolve %s", expect_lib);
  if (want == nullptr) return;
  CHECK_MSG(dlsym(RTLD_DEFAULT, "hm_malloc") != nullptr, "hm_malloc not visible under preload");
  for (const char* sym : kSymbols) {
    void* addr = dlsym(RTLD_DEFAULT, sym);
    CHECK_MSG(addr != nullptr, "%s not found", sym);
    if (addr == nullptr) continue;
    Dl_info info{};
    CHECK_MSG(dladdr(addr, &info) != 0 && info.dli_fname != nullptr, "dladdr(%s) failed", sym);
    if (info.dli_fname == nullptr) continue;
    char* got = realpath(info.dli_fname, nullptr);
    CHECK_MSG(got != nullptr && std::strcmp(got, want) == 0, "%s resolves to %s, not %s", sym,
              info.dli_fname, want);
    std::free(got);
  }
  std::free(want);
}

void CasePlain() {
  std::vector<void*> live;
  for (size_t n : kSizes) {
    void* p = ::operator new(Opaque(n));
    CHECK_MSG(p != nullptr, "operator new(%zu)", n);
    CHECK_MSG(AlignedTo(p, __STDCPP_DEFAULT_NEW_ALIGNMENT__), "operator new(%zu) = %p", n, p);
    FillAndCheck(p, n, 0x11);
    live.push_back(p);
  }
  void* a = ::operator new(Opaque(0));
  void* b = ::operator new(Opaque(0));
  CHECK_MSG(a != b, "two live operator new(0) blocks are equal");
  ::operator delete(a);
  ::operator delete(b);
  for (void* p : live) ::operator delete(p);
  ::operator delete(nullptr);  // no-op
  for (size_t n : kHuge) ExpectBadAlloc("operator new", n, [n] { Escape(::operator new(Opaque(n))); });
  // new-expressions.
  auto* s = new std::string(1000, 'x');
  CHECK(s->size() == 1000 && (*s)[999] == 'x');
  delete s;
  auto* m = new std::map<int, std::string>;
  for (int i = 0; i < 1000; ++i) (*m)[i] = std::to_string(i);
  CHECK(m->size() == 1000 && m->at(777) == "777");
  delete m;
}

void CaseArray() {
  std::vector<void*> live;
  for (size_t n : kSizes) {
    void* p = ::operator new[](Opaque(n));
    CHECK_MSG(p != nullptr, "operator new[](%zu)", n);
    CHECK_MSG(AlignedTo(p, __STDCPP_DEFAULT_NEW_ALIGNMENT__), "operator new[](%zu) = %p", n, p);
    FillAndCheck(p, n, 0x22);
    live.push_back(p);
  }
  for (void* p : live) ::operator delete[](p);
  ::operator delete[](nullptr);
  for (size_t n : kHuge) {
    ExpectBadAlloc("operator new[]", n, [n] { Escape(::operator new[](Opaque(n))); });
  }
  ExpectBadAlloc("new char[]", kPtrdiffMax + 1, [] { Escape(new char[Opaque(kPtrdiffMax + 1)]); });
  auto* arr = new std::string[100];
  for (int i = 0; i < 100; ++i) arr[i] = std::string(static_cast<size_t>(i) * 10, 'a');
  CHECK(arr[99].size() == 990);
  delete[] arr;
}

void CaseNothrow() {
  for (size_t n : kSizes) {
    void* p = ::operator new(Opaque(n), std::nothrow);
    CHECK_MSG(p != nullptr, "operator new(%zu, nothrow)", n);
    CHECK(AlignedTo(p, __STDCPP_DEFAULT_NEW_ALIGNMENT__));
    FillAndCheck(p, n, 0x33);
    ::operator delete(p, std::nothrow);
    void* q = ::operator new[](Opaque(n), std::nothrow);
    CHECK_MSG(q != nullptr, "operator new[](%zu, nothrow)", n);
    CHECK(AlignedTo(q, __STDCPP_DEFAULT_NEW_ALIGNMENT__));
    FillAndCheck(q, n, 0x34);
    ::operator delete[](q, std::nothrow);
  }
  for (size_t n : kHuge) {
    void* p = ::operator new(Opaque(n), std::nothrow);
    CHECK_MSG(p == nullptr, "operator new(%zu, nothrow) = %p, want nullptr", n, p);
    void* q = ::operator new[](Opaque(n), std::nothrow);
    CHECK_MSG(q == nullptr, "operator new[](%zu, nothrow) = %p, want nullptr", n, q);
  }
  char* c = new (std::nothrow) char[Opaque(kPtrdiffMax + 1)];
  CHECK_MSG(c == nullptr, "new (nothrow) char[PTRDIFF_MAX+1] = %p", static_cast<void*>(c));
}

void CaseSized() {
  for (size_t n : kSizes) {
    void* p = ::operator new(Opaque(n));
    FillAndCheck(p, n, 0x44);
    ::operator delete(p, n);
    void* q = ::operator new[](Opaque(n));
    FillAndCheck(q, n, 0x45);
    ::operator delete[](q, n);
  }
  // Many small sized deletes interleaved with unsized ones of the same class.
  std::vector<std::pair<void*, size_t>> live;
  for (size_t i = 0; i < 5000; ++i) {
    size_t n = 1 + (i * 37) % 700;
    live.emplace_back(::operator new(n), n);
  }
  for (size_t i = 0; i < live.size(); ++i) {
    if (i % 2 == 0) {
      ::operator delete(live[i].first, live[i].second);
    } else {
      ::operator delete(live[i].first);
    }
  }
  // Sized delete through delete-expressions (class type with a known size).
  struct Obj {
    char payload[200];
  };
  for (int i = 0; i < 1000; ++i) {
    Obj* o = new Obj;
    Escape(o);
    delete o;
  }
}

void CaseAligned() {
  for (size_t a : kAligns) {
    for (size_t n : {size_t{0}, size_t{1}, a, a + 1, 3 * a + 7}) {
      void* p = ::operator new(Opaque(n), std::align_val_t(a));
      CHECK_MSG(p != nullptr && AlignedTo(p, a), "operator new(%zu, align %zu) = %p", n, a, p);
      FillAndCheck(p, n, 0x55);
      void* q = ::operator new[](Opaque(n), std::align_val_t(a));
      CHECK_MSG(q != nullptr && AlignedTo(q, a), "operator new[](%zu, align %zu) = %p", n, a, q);
      FillAndCheck(q, n, 0x56);
      ::operator delete(p, std::align_val_t(a));
      ::operator delete[](q, std::align_val_t(a));
    }
  }
  for (size_t a : {size_t{64}, size_t{4096}, size_t{1} << 20}) {
    ForEachHugeAligned([a](size_t n) {
      ExpectBadAlloc("operator new(align)", n,
                     [n, a] { Escape(::operator new(Opaque(n), std::align_val_t(a))); });
      ExpectBadAlloc("operator new[](align)", n,
                     [n, a] { Escape(::operator new[](Opaque(n), std::align_val_t(a))); });
    });
  }
  // Over-aligned types through new-expressions.
  struct alignas(256) Wide {
    char c[300];
  };
  struct alignas(8192) Page {
    char c[10];
  };
  for (int i = 0; i < 50; ++i) {
    Wide* w = new Wide;
    CHECK_MSG(AlignedTo(w, 256), "new Wide = %p", static_cast<void*>(w));
    Escape(w);
    delete w;
    Wide* wa = new Wide[7];
    CHECK_MSG(AlignedTo(wa, 256), "new Wide[7] = %p", static_cast<void*>(wa));
    Escape(wa);
    delete[] wa;
    Page* pg = new Page;
    CHECK_MSG(AlignedTo(pg, 8192), "new Page = %p", static_cast<void*>(pg));
    Escape(pg);
    delete pg;
  }
}

void CaseAlignedNothrow() {
  for (size_t a : kAligns) {
    void* p = ::operator new(Opaque(100), std::align_val_t(a), std::nothrow);
    CHECK_MSG(p != nullptr && AlignedTo(p, a), "operator new(100, align %zu, nothrow) = %p", a, p);
    FillAndCheck(p, 100, 0x66);
    ::operator delete(p, std::align_val_t(a), std::nothrow);
    void* q = ::operator new[](Opaque(100), std::align_val_t(a), std::nothrow);
    CHECK_MSG(q != nullptr && AlignedTo(q, a), "operator new[](100, align %zu, nothrow) = %p", a,
              q);
    FillAndCheck(q, 100, 0x67);
    ::operator delete[](q, std::align_val_t(a), std::nothrow);
  }
  for (size_t a : {size_t{32}, size_t{4096}, size_t{1} << 20}) {
    ForEachHugeAligned([a](size_t n) {
      void* p = ::operator new(Opaque(n), std::align_val_t(a), std::nothrow);
      CHECK_MSG(p == nullptr, "operator new(%zu, align %zu, nothrow) = %p", n, a, p);
      void* q = ::operator new[](Opaque(n), std::align_val_t(a), std::nothrow);
      CHECK_MSG(q == nullptr, "operator new[](%zu, align %zu, nothrow) = %p", n, a, q);
    });
  }
}

void CaseAlignedSized() {
  for (size_t a : kAligns) {
    for (size_t n : {size_t{1}, size_t{100}, a, 5 * a + 3}) {
      void* p = ::operator new(Opaque(n), std::align_val_t(a));
      CHECK_MSG(AlignedTo(p, a), "operator new(%zu, align %zu) = %p", n, a, p);
      FillAndCheck(p, n, 0x77);
      ::operator delete(p, n, std::align_val_t(a));
      void* q = ::operator new[](Opaque(n), std::align_val_t(a));
      CHECK_MSG(AlignedTo(q, a), "operator new[](%zu, align %zu) = %p", n, a, q);
      FillAndCheck(q, n, 0x78);
      ::operator delete[](q, n, std::align_val_t(a));
    }
  }
}

// The throwing forms call the installed new_handler until it gives up; the nothrow forms
// turn a bad_alloc from the handler into nullptr.
std::atomic<int> g_handler_calls{0};
void GiveUpOnSecondCall() {
  if (++g_handler_calls >= 2) std::set_new_handler(nullptr);
}
void ThrowingHandler() {
  ++g_handler_calls;
  throw std::bad_alloc();
}

void CaseNewHandler() {
  const size_t huge = kPtrdiffMax + 1;
  struct Form {
    const char* name;
    std::function<void()> call;
  } throwing[] = {
      {"operator new", [&] { Escape(::operator new(Opaque(huge))); }},
      {"operator new[]", [&] { Escape(::operator new[](Opaque(huge))); }},
      {"operator new(align)", [&] { Escape(::operator new(Opaque(huge), std::align_val_t(64))); }},
      {"operator new[](align)",
       [&] { Escape(::operator new[](Opaque(huge), std::align_val_t(64))); }},
  };
  for (auto& f : throwing) {
    g_handler_calls = 0;
    std::set_new_handler(GiveUpOnSecondCall);
    ExpectBadAlloc(f.name, huge, f.call);
    CHECK_MSG(g_handler_calls == 2, "%s: new_handler called %d times, want 2", f.name,
              g_handler_calls.load());
    std::set_new_handler(nullptr);
  }
  Form nothrow[] = {
      {"operator new(nothrow)", [&] { CHECK(::operator new(Opaque(huge), std::nothrow) == nullptr); }},
      {"operator new[](nothrow)",
       [&] { CHECK(::operator new[](Opaque(huge), std::nothrow) == nullptr); }},
      {"operator new(align, nothrow)",
       [&] { CHECK(::operator new(Opaque(huge), std::align_val_t(64), std::nothrow) == nullptr); }},
      {"operator new[](align, nothrow)",
       [&] {
         CHECK(::operator new[](Opaque(huge), std::align_val_t(64), std::nothrow) == nullptr);
       }},
  };
  for (auto& f : nothrow) {
    g_handler_calls = 0;
    std::set_new_handler(ThrowingHandler);
    try {
      f.call();
    } catch (...) {
      CHECK_MSG(false, "%s let an exception escape", f.name);
    }
    CHECK_MSG(g_handler_calls == 1, "%s: new_handler called %d times, want 1", f.name,
              g_handler_calls.load());
    std::set_new_handler(nullptr);
  }
}

// Blocks from operator new are ordinary heap blocks: malloc_usable_size (the preloaded
// library's, under LD_PRELOAD) knows their size.
void CaseUsableSize() {
  for (size_t n : kSizes) {
    if (n == 0) continue;
    void* p = ::operator new(Opaque(n));
    CHECK_MSG(malloc_usable_size(p) >= n, "malloc_usable_size(operator new(%zu)) = %zu", n,
              malloc_usable_size(p));
    ::operator delete(p);
    void* q = ::operator new(Opaque(n), std::align_val_t(4096));
    CHECK_MSG(malloc_usable_size(q) >= n, "malloc_usable_size(operator new(%zu, 4096)) = %zu", n,
              malloc_usable_size(q));
    ::operator delete(q, std::align_val_t(4096));
  }
  CHECK(malloc_usable_size(nullptr) == 0);
}

// Blocks allocated by one thread and deleted by another, in every form.
void CaseCrossThread() {
  constexpr int kPerThread = 3000;
  std::vector<void*> plain(kPerThread), aligned(kPerThread), sized(kPerThread);
  std::thread producer([&] {
    for (int i = 0; i < kPerThread; ++i) {
      size_t n = 1 + static_cast<size_t>(i % 900);
      plain[i] = ::operator new(n);
      std::memset(plain[i], 1, n);
      aligned[i] = ::operator new(n, std::align_val_t(128));
      sized[i] = ::operator new[](n);
    }
  });
  producer.join();
  std::thread consumer([&] {
    for (int i = 0; i < kPerThread; ++i) {
      size_t n = 1 + static_cast<size_t>(i % 900);
      CHECK(static_cast<unsigned char*>(plain[i])[n - 1] == 1);
      CHECK(AlignedTo(aligned[i], 128));
      ::operator delete(plain[i]);
      ::operator delete(aligned[i], n, std::align_val_t(128));
      ::operator delete[](sized[i], n);
    }
  });
  consumer.join();
  // The heap still works in the main thread.
  void* p = ::operator new(64);
  CHECK(p != nullptr);
  ::operator delete(p);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <case> [--expect-lib=PATH]\n", argv[0]);
    return 2;
  }
  const char* expect_lib = nullptr;
  for (int i = 2; i < argc; ++i) {
    if (std::strncmp(argv[i], "--expect-lib=", 13) == 0) expect_lib = argv[i] + 13;
  }
  g_strict = expect_lib != nullptr;
  const std::string c = argv[1];
  if (c == "symbols") {
    CaseSymbols(expect_lib);
  } else if (c == "plain") {
    CasePlain();
  } else if (c == "array") {
    CaseArray();
  } else if (c == "nothrow") {
    CaseNothrow();
  } else if (c == "sized") {
    CaseSized();
  } else if (c == "aligned") {
    CaseAligned();
  } else if (c == "aligned_nothrow") {
    CaseAlignedNothrow();
  } else if (c == "aligned_sized") {
    CaseAlignedSized();
  } else if (c == "new_handler") {
    CaseNewHandler();
  } else if (c == "usable_size") {
    CaseUsableSize();
  } else if (c == "cross_thread") {
    CaseCrossThread();
  } else {
    std::fprintf(stderr, "unknown case %s\n", c.c_str());
    return 2;
  }
  std::printf("%s: %d failure(s)\n", c.c_str(), g_failures);
  return g_failures == 0 ? 0 : 1;
}
