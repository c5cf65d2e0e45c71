// Property test of the front box (the public hm_* API) against a model of live blocks.
//
// Model: the list of live blocks, each with its requested size, alignment and fill seed.
// After every command: every live block is aligned, has usable size >= requested, keeps
// its fill, and no two live blocks overlap; calloc memory is zero, realloc keeps the
// prefix, and errno / return values follow glibc 2.36.
#include <errno.h>
#include <stdint.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "hakmem/hakmem.h"
#include "property_common.h"

namespace {

using hm_prop::check_fill;
using hm_prop::fill_sampled;

struct Desc {
  size_t size;
  size_t align;
  uint8_t seed;
};

struct Model {
  std::vector<Desc> live;
};

// The system under test: the pointers of the model's blocks, same order. A case that passes
// frees what is left; a failed case leaks its blocks (they may be the broken ones).
struct Sut {
  std::vector<void*> ptrs;
  void release() {
    for (void* p : ptrs) hm_free(p);
    ptrs.clear();
  }
};

using Cmd = rc::state::Command<Model, Sut>;

// Request sizes: mostly the fast lane, some mid classes, a few large blocks, and 0.
rc::Gen<size_t> gen_size() {
  return rc::gen::weightedOneOf<size_t>({
      {8, rc::gen::inRange<size_t>(1, 1025)},
      {3, rc::gen::inRange<size_t>(1025, (size_t{128} << 10) + 1)},
      {1, rc::gen::inRange<size_t>((size_t{128} << 10) + 1, size_t{3} << 20)},
      {1, rc::gen::just<size_t>(0)},
  });
}

rc::Gen<size_t> gen_align() {
  return rc::gen::map(rc::gen::weightedOneOf<unsigned>({{6, rc::gen::inRange(3u, 13u)},
                                                        {2, rc::gen::inRange(13u, 17u)},
                                                        {1, rc::gen::inRange(17u, 23u)}}),
                      [](unsigned lg) { return size_t{1} << lg; });
}

// Checks the whole model against the real blocks.
void check_all(const Model& m, const Sut& s) {
  RC_ASSERT(m.live.size() == s.ptrs.size());
  std::vector<std::pair<uintptr_t, uintptr_t>> ranges;
  for (size_t i = 0; i < s.ptrs.size(); ++i) {
    const Desc& d = m.live[i];
    void* p = s.ptrs[i];
    auto u = reinterpret_cast<uintptr_t>(p);
    RC_ASSERT(u % d.align == 0);
    size_t usable = hm_malloc_usable_size(p);
    RC_ASSERT(usable >= d.size);
    RC_ASSERT(check_fill(p, d.size, d.seed));
    ranges.emplace_back(u, u + usable);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) RC_ASSERT(ranges[i - 1].second <= ranges[i].first);
  hm_prop::check_invariants();
}

// Records a fresh block in the SUT after checking it against every live block.
void adopt(const Desc& d, void* p, Sut& s) {
  RC_ASSERT(bool(p != nullptr));
  RC_ASSERT(reinterpret_cast<uintptr_t>(p) % d.align == 0);
  RC_ASSERT(hm_malloc_usable_size(p) >= d.size);
  fill_sampled(p, d.size, d.seed);
  s.ptrs.push_back(p);
}

struct Malloc : Cmd {
  size_t size = *gen_size();
  uint8_t seed = *rc::gen::arbitrary<uint8_t>();
  void apply(Model& m) const override { m.live.push_back({size, 16, seed}); }
  void run(const Model& m, Sut& s) const override {
    adopt({size, 16, seed}, hm_malloc(size), s);
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "malloc(" << size << ")"; }
};

struct Calloc : Cmd {
  size_t n = *rc::gen::inRange<size_t>(0, 64);
  size_t each = *rc::gen::oneOf(rc::gen::inRange<size_t>(1, 64), rc::gen::inRange<size_t>(1, 40000));
  uint8_t seed = *rc::gen::arbitrary<uint8_t>();
  void apply(Model& m) const override { m.live.push_back({n * each, 16, seed}); }
  void run(const Model& m, Sut& s) const override {
    // Dirty a block of the same size first so calloc has to zero reused memory.
    void* dirty = hm_malloc(n * each);
    RC_ASSERT(bool(dirty != nullptr));
    std::memset(dirty, 0xa5, n * each);
    hm_free(dirty);
    void* p = hm_calloc(n, each);
    RC_ASSERT(bool(p != nullptr));
    RC_ASSERT(hm_prop::all_zero(p, n * each));
    adopt({n * each, 16, seed}, p, s);
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "calloc(" << n << ", " << each << ")"; }
};

struct Aligned : Cmd {
  size_t align = *gen_align();
  size_t size = *gen_size();
  int how = *rc::gen::inRange(0, 3);  // aligned_alloc, posix_memalign, memalign
  uint8_t seed = *rc::gen::arbitrary<uint8_t>();
  void apply(Model& m) const override { m.live.push_back({size, align < 16 ? 16 : align, seed}); }
  void run(const Model& m, Sut& s) const override {
    void* p = nullptr;
    if (how == 0) {
      p = hm_aligned_alloc(align, size);
    } else if (how == 1) {
      RC_ASSERT(hm_posix_memalign(&p, align, size) == 0);
    } else {
      p = hm_memalign(align, size);
    }
    adopt({size, align < 16 ? 16 : align, seed}, p, s);
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override {
    static const char* names[] = {"aligned_alloc", "posix_memalign", "memalign"};
    os << names[how] << "(" << align << ", " << size << ")";
  }
};

struct Free : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  int how = *rc::gen::inRange(0, 3);  // free, free_sized, free_aligned
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.live.empty()); }
  void apply(Model& m) const override { m.live.erase(m.live.begin() + static_cast<long>(pick % m.live.size())); }
  void run(const Model& m, Sut& s) const override {
    size_t i = pick % s.ptrs.size();
    void* p = s.ptrs[i];
    RC_ASSERT(check_fill(p, m.live[i].size, m.live[i].seed));
    s.ptrs.erase(s.ptrs.begin() + static_cast<long>(i));
    if (how == 0) hm_free(p);
    else if (how == 1) hm_free_sized(p, m.live[i].size);
    else hm_free_aligned(p, m.live[i].align);
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "free(#" << pick << ")"; }
};

struct Realloc : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  size_t size = *gen_size();
  uint8_t seed = *rc::gen::arbitrary<uint8_t>();
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.live.empty()); }
  void apply(Model& m) const override {
    auto it = m.live.begin() + static_cast<long>(pick % m.live.size());
    if (size == 0) {
      m.live.erase(it);
    } else {
      // realloc keeps the alignment only when the block stays in place; record 16.
      *it = {size, 16, seed};
    }
  }
  void run(const Model& m, Sut& s) const override {
    size_t i = pick % s.ptrs.size();
    const Desc& d = m.live[i];
    errno = 0;
    void* q = hm_realloc(s.ptrs[i], size);
    if (size == 0) {
      // glibc: realloc(p, 0) frees p and returns NULL.
      RC_ASSERT(bool(q == nullptr));
      s.ptrs.erase(s.ptrs.begin() + static_cast<long>(i));
    } else {
      RC_ASSERT(bool(q != nullptr));
      RC_ASSERT(reinterpret_cast<uintptr_t>(q) % 16 == 0);
      RC_ASSERT(hm_malloc_usable_size(q) >= size);
      size_t keep = std::min(size, d.size);
      RC_ASSERT(check_fill(q, keep, d.seed, d.size));
      s.ptrs[i] = q;
      fill_sampled(q, size, seed);
    }
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "realloc(#" << pick << ", " << size << ")"; }
};

// Frees some live blocks from another thread (remote frees through the public API).
struct CrossThreadFree : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  size_t count = *rc::gen::inRange<size_t>(1, 16);
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.live.empty()); }
  size_t first(const Model& m) const { return pick % m.live.size(); }
  size_t n(const Model& m) const { return std::min(count, m.live.size() - first(m)); }
  void apply(Model& m) const override {
    auto b = m.live.begin() + static_cast<long>(first(m));
    m.live.erase(b, b + static_cast<long>(n(m)));
  }
  void run(const Model& m, Sut& s) const override {
    size_t f = first(m), k = n(m);
    std::vector<void*> moved(s.ptrs.begin() + static_cast<long>(f), s.ptrs.begin() + static_cast<long>(f + k));
    for (size_t j = 0; j < k; ++j) RC_ASSERT(check_fill(moved[j], m.live[f + j].size, m.live[f + j].seed));
    s.ptrs.erase(s.ptrs.begin() + static_cast<long>(f), s.ptrs.begin() + static_cast<long>(f + k));
    std::thread([&moved] {
      for (void* p : moved) hm_free(p);
    }).join();
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "cross_thread_free(#" << pick << ", " << count << ")"; }
};

// hm_thread_flush, or hm_trim (malloc_trim): live blocks keep their contents either way.
struct Flush : Cmd {
  bool trim = *rc::gen::arbitrary<bool>();
  void run(const Model& m, Sut& s) const override {
    if (trim) {
      int r = hm_trim(0);
      RC_ASSERT(r == 0 || r == 1);
    } else {
      hm_thread_flush();
    }
    check_all(m, s);
  }
  void show(std::ostream& os) const override { os << (trim ? "trim(0)" : "thread_flush()"); }
};

// Requests that must fail, with glibc's return value and errno; live blocks are untouched.
struct Failing : Cmd {
  int which = *rc::gen::inRange(0, 8);
  size_t pick = *rc::gen::arbitrary<size_t>();
  void run(const Model& m, Sut& s) const override {
    int saved;
    void* p = reinterpret_cast<void*>(1);
    switch (which) {
      case 0:  // malloc beyond PTRDIFF_MAX
        errno = 0;
        RC_ASSERT(bool(hm_malloc(SIZE_MAX - pick % 4096) == nullptr));
        RC_ASSERT(errno == ENOMEM);
        break;
      case 1:  // calloc overflow
        errno = 0;
        RC_ASSERT(bool(hm_calloc(SIZE_MAX / 2 + 1 + pick % 1024, 2) == nullptr));
        RC_ASSERT(errno == ENOMEM);
        break;
      case 2:  // posix_memalign with an alignment that is no power-of-two multiple of sizeof(void*)
        errno = saved = 1234;
        RC_ASSERT(hm_posix_memalign(&p, 8 * (2 * (pick % 100) + 3), 16) == EINVAL);
        RC_ASSERT(errno == saved);
        RC_ASSERT(bool(p == reinterpret_cast<void*>(1)));
        break;
      case 3:  // posix_memalign with an alignment below sizeof(void*)
        errno = saved = 77;
        RC_ASSERT(hm_posix_memalign(&p, 4, 16) == EINVAL);
        RC_ASSERT(errno == saved);
        break;
      case 4:  // posix_memalign that cannot be satisfied: ENOMEM returned, *p untouched, and
               // (glibc 2.36, through its internal allocation path) errno set to ENOMEM
        errno = 55;
        RC_ASSERT(hm_posix_memalign(&p, 64, SIZE_MAX - 4096) == ENOMEM);
        RC_ASSERT(errno == ENOMEM);
        RC_ASSERT(bool(p == reinterpret_cast<void*>(1)));
        break;
      case 5:  // aligned_alloc with an alignment above SIZE_MAX/2+1
        errno = 0;
        RC_ASSERT(bool(hm_aligned_alloc(SIZE_MAX / 2 + 2 + pick % 64, 16) == nullptr));
        RC_ASSERT(errno == EINVAL);
        break;
      case 6:  // reallocarray overflow
        errno = 0;
        RC_ASSERT(bool(hm_reallocarray(nullptr, SIZE_MAX / 4, 8) == nullptr));
        RC_ASSERT(errno == ENOMEM);
        break;
      case 7:  // realloc of a live block to an impossible size keeps the block
        if (!s.ptrs.empty()) {
          size_t i = pick % s.ptrs.size();
          errno = 0;
          RC_ASSERT(bool(hm_realloc(s.ptrs[i], SIZE_MAX - 64) == nullptr));
          RC_ASSERT(errno == ENOMEM);
        }
        break;
    }
    check_all(m, s);
  }
  void show(std::ostream& os) const override { os << "failing_request(" << which << ")"; }
};

RC_GTEST_PROP(FrontProperty, PublicApiMatchesLiveBlockModel, ()) {
  Model m;
  Sut s;
  rc::state::check(m, s,
                   rc::state::gen::execOneOfWithArgs<Malloc, Malloc, Malloc, Calloc, Aligned, Free, Free, Realloc,
                                                     CrossThreadFree, Flush, Failing>());
  s.release();
}

// usable size, valloc/pvalloc and the zero-size cases, as plain properties.
RC_GTEST_PROP(FrontProperty, PageAlignedFamilies, (uint16_t raw)) {
  size_t n = raw;
  size_t page = 4096;
  void* v = hm_valloc(n);
  RC_ASSERT(bool(v != nullptr));
  RC_ASSERT(reinterpret_cast<uintptr_t>(v) % page == 0);
  RC_ASSERT(hm_malloc_usable_size(v) >= n);
  void* pv = hm_pvalloc(n);
  RC_ASSERT(bool(pv != nullptr));
  RC_ASSERT(reinterpret_cast<uintptr_t>(pv) % page == 0);
  RC_ASSERT(hm_malloc_usable_size(pv) >= std::max(page, (n + page - 1) / page * page));
  hm_free(v);
  hm_free(pv);
  RC_ASSERT(bool(hm_malloc_usable_size(nullptr) == 0u));
  hm_free(nullptr);
  void* z = hm_malloc(0);  // glibc: a unique minimum-size block
  RC_ASSERT(bool(z != nullptr));
  hm_free(z);
  hm_prop::check_invariants();
}

}  // namespace
