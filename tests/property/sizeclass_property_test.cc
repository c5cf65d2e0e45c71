// Property test of the sizeclass box: size_to_class, class_to_size, class_count, aligned_class,
// sizeclass_init.
//
// Model: up to 1 KiB, 16-byte steps, or in coarse mode 16-byte steps to 256 bytes then four
// classes per doubling; above 1 KiB the smallest class that holds the request among the classes
// the fine level uses -- 2: all (sixteen from 1 to 2 KiB, at most 6.25% waste; eight per
// doubling to 8 KiB, 12.5%), 1: eight per doubling to 8 KiB, 0: four (25%) -- and four per
// doubling above. The stateful test switches the mapping (sizeclass_init), remembers every
// (size -> class) answer it saw under the current one and checks each new answer against all
// of them (monotonic, consistent). The test restores the mapping it found.
#include <map>

#include "property_common.h"
#include "sizeclass/sizeclass.h"
#include "sizeclass/inspect.h"

namespace {

using hm::aligned_class;
using hm::class_count;
using hm::class_to_size;
using hm::kMaxSmall;
using hm::size_to_class;

// The step of the classes up to 1 KiB around size s (a multiple of 16).
size_t model_step(size_t s, bool coarse) { return !coarse || s <= 256 ? 16 : s <= 512 ? 64 : 128; }

// Whether class c is in use above 1 KiB: every class at fine level 2; at level 1 those whose
// size is a multiple of an eighth of the power of two below (1152, 1280, ...), at level 0 of a
// quarter (1280, 1536, 1792, 2048, ...; all classes above 8 KiB are).
bool model_in_use_above(unsigned c, unsigned fine) {
  size_t s = class_to_size(c);
  size_t p = size_t{1} << (63 - __builtin_clzll(s - 1));  // the power of two below
  return fine >= 2 || (s - p) % (p / (fine == 1 ? 8 : 4)) == 0;
}
// The classes per doubling in use around a request of n > 1 KiB bytes.
size_t model_per_doubling(size_t n, unsigned fine) {
  if (n > hm::kFineMax || fine == 0) return 4;
  return fine >= 2 && n <= 2048 ? 16 : 8;
}
// Whether every class is in use around n, so the class below never fits.
bool model_all_in_use(size_t n, bool coarse, unsigned fine) {
  if (n <= 1024) return !coarse;
  size_t p = size_t{1} << (63 - __builtin_clzll(n - 1));
  return model_per_doubling(n, fine) == (p >= hm::kFineMax ? 4 : p >= 2048 ? 8 : 16);
}

// The reference mapping, computed by scanning the class table.
unsigned model_class(size_t n, bool coarse, unsigned fine) {
  if (n <= 1024) {
    size_t s = (n + 15) / 16 * 16;
    size_t step = model_step(s, coarse);
    return static_cast<unsigned>((s + step - 1) / step * step / 16 - 1);
  }
  for (unsigned c = 0; c < class_count(); ++c)
    if (class_to_size(c) >= n && model_in_use_above(c, fine)) return c;
  return class_count();
}

rc::Gen<size_t> gen_small_size() {
  return rc::gen::weightedOneOf<size_t>({{3, rc::gen::inRange<size_t>(1, 1025)},
                                         {3, rc::gen::inRange<size_t>(1025, kMaxSmall + 1)},
                                         {1, rc::gen::map(rc::gen::inRange(4, 18), [](int lg) {
                                            return size_t{1} << lg;
                                          })},
                                         {1, rc::gen::map(rc::gen::inRange(4, 17), [](int lg) {
                                            return (size_t{1} << lg) + 1;
                                          })}});
}

struct Model {
  bool coarse = false;
  unsigned fine = 2;
  std::map<size_t, unsigned> seen;
};
// The mapping in force when the test started (a power of two's neighbour tells them apart).
bool coarse_now() { return size_to_class(300) != hm::sizeclass_detail::step_class(300); }
unsigned fine_now() {
  size_t s = class_to_size(size_to_class(1025));
  return s == 1088 ? 2 : s == 1152 ? 1 : 0;
}
struct Sut {};
using Cmd = rc::state::Command<Model, Sut>;

struct Query : Cmd {
  size_t n = *gen_small_size();
  void apply(Model& m) const override { m.seen[n] = size_to_class(n); }
  void run(const Model& m, Sut&) const override {
    unsigned c = size_to_class(n);
    RC_ASSERT(c < class_count());
    RC_ASSERT(c == model_class(n, m.coarse, m.fine));
    size_t s = class_to_size(c);
    RC_ASSERT(s >= n);
    RC_ASSERT(s % 16 == 0);
    if (n <= 1024) {
      RC_ASSERT(s - n < model_step(s, m.coarse));  // the steps of the mapping
    } else {
      RC_ASSERT((s - n) * model_per_doubling(n, m.fine) <= n);  // at most 6.25%, 12.5% or 25% waste
    }
    if (c > 0 && model_all_in_use(n, m.coarse, m.fine)) RC_ASSERT(class_to_size(c - 1) < n);  // the smallest class
    // Monotonic and consistent with every answer seen so far.
    auto it = m.seen.lower_bound(n);
    if (it != m.seen.end()) RC_ASSERT(bool(it->first == n ? it->second == c : it->second >= c));
    if (it != m.seen.begin()) RC_ASSERT(std::prev(it)->second <= c);
    hm_prop::check_invariants("sizeclass");
  }
  void show(std::ostream& os) const override { os << "size_to_class(" << n << ")"; }
};

struct Mode : Cmd {
  bool coarse = *rc::gen::arbitrary<bool>();
  unsigned fine = *rc::gen::inRange(0u, 3u);
  void apply(Model& m) const override {
    m.coarse = coarse;
    m.fine = fine;
    m.seen.clear();
  }
  void run(const Model&, Sut&) const override {
    hm::sizeclass_init(coarse, fine);
    hm_prop::check_invariants("sizeclass");
  }
  void show(std::ostream& os) const override { os << "sizeclass_init(" << coarse << ", " << fine << ")"; }
};

struct RoundTrip : Cmd {
  unsigned c = *rc::gen::inRange(0u, class_count());
  void run(const Model& m, Sut&) const override {
    size_t s = class_to_size(c);
    if (size_to_class(s) != c) {  // a class a coarser mode leaves unused: its size goes up
      RC_ASSERT(bool(s < 1024 ? m.coarse : m.fine < 2));
      RC_ASSERT(size_to_class(s) == model_class(s, m.coarse, m.fine));
      return;
    }
    if (c > 0) RC_ASSERT(size_to_class(class_to_size(c - 1) + 1) == c);  // classes in use have no gaps
    // class_slices: one 64 KiB slice up to 8 KiB blocks, else the fewest slices holding 8 blocks.
    unsigned sl = hm::class_slices(c);
    RC_ASSERT(sl >= 1u && sl < hm::kSlicesPerSegment);
    if (s <= 8192) RC_ASSERT(sl == 1u);
    else RC_ASSERT((size_t{sl} << hm::kSliceShift) >= 8 * s && (size_t{sl - 1} << hm::kSliceShift) < 8 * s);
    if (c + 1 < class_count()) {
      RC_ASSERT(class_to_size(c + 1) > s);
      RC_ASSERT(size_to_class(s + 1) == model_class(s + 1, m.coarse, m.fine));
    }
  }
  void show(std::ostream& os) const override { os << "round_trip(" << c << ")"; }
};

struct Aligned : Cmd {
  size_t n = *rc::gen::inRange<size_t>(1, size_t{80} << 10);
  size_t align = size_t{1} << *rc::gen::inRange(5, 18);
  void run(const Model&, Sut&) const override {
    unsigned c = aligned_class(n, align);
    size_t want = std::max(n, align);
    if (want > (size_t{64} << 10)) {
      RC_ASSERT(c == class_count());
      return;
    }
    RC_ASSERT(c < class_count());
    size_t s = class_to_size(c);
    RC_ASSERT(s >= want);
    RC_ASSERT((s & (s - 1)) == 0);  // a power of two, so every block of the class is aligned
    RC_ASSERT(s % align == 0);
    RC_ASSERT(s < 2 * want);  // the smallest power of two that fits
  }
  void show(std::ostream& os) const override { os << "aligned_class(" << n << ", " << align << ")"; }
};

RC_GTEST_PROP(SizeclassProperty, MappingMatchesModel, ()) {
  Model m;
  m.coarse = coarse_now();
  m.fine = fine_now();
  struct Restore {
    bool coarse;
    unsigned fine;
    ~Restore() { hm::sizeclass_init(coarse, fine); }
  } restore{m.coarse, m.fine};
  Sut s;
  rc::state::check(m, s, rc::state::gen::execOneOfWithArgs<Query, Query, RoundTrip, Aligned, Mode>());
}

TEST(SizeclassProperty, ClassCountCoversEveryPowerOfTwo) {
  EXPECT_EQ(class_count(), hm::kClassCount);
  EXPECT_EQ(class_to_size(class_count() - 1), kMaxSmall);
  for (size_t p = 16; p <= kMaxSmall; p <<= 1) EXPECT_EQ(class_to_size(size_to_class(p)), p) << p;
}

}  // namespace
