// invariants/: the sizeclass box. INV-SIZECLASS-1: every request size maps to a class
// whose size holds it -- the smallest class in use (coarse mode leaves classes unused) --
// and class sizes strictly increase. The box is pure functions of the mapping chosen at
// start-up, so the checker runs over a table of them; tests swap in a broken table
// (set_sizeclass_table).
#include <atomic>

#include "check.h"
#include "sizeclass/sizeclass.h"

namespace hm::check {
namespace {

size_t real_to_size(unsigned c) { return class_to_size(c); }
unsigned real_to_class(size_t n) { return size_to_class(n); }
constexpr SizeclassTable kReal{real_to_size, real_to_class, kClassCount, kMaxSmall};
constinit std::atomic<const SizeclassTable*> g_table{&kReal};

}  // namespace

void set_sizeclass_table(const SizeclassTable* t) { g_table.store(t ? t : &kReal, std::memory_order_relaxed); }

void check_sizeclass(Sink& s) {
  const SizeclassTable& t = *g_table.load(std::memory_order_relaxed);
  Where w;
  if (t.to_size(t.count - 1) != t.max_small) {
    w.size_class = static_cast<int>(t.count - 1);
    s.fail(registry::InvId::sc_roundtrip, w, "largest class size", t.max_small, t.to_size(t.count - 1));
    return;
  }
  size_t prev = 0, prev_used = 0;  // sizes of the class below and of the class in use below
  for (unsigned c = 0; c < t.count; ++c) {
    size_t sz = t.to_size(c);
    w.size_class = static_cast<int>(c);
    if (sz <= prev || sz % kMinAlign) {
      s.fail2(registry::InvId::sc_roundtrip, w, "16-aligned class size above", prev, "class size", sz);
      return;
    }
    prev = sz;
    unsigned up = t.to_class(sz);
    if (up != c) {  // a class the mapping leaves unused: its size goes to a larger class that holds it
      if (up < c || up >= t.count || t.to_size(up) < sz) {
        s.fail2(registry::InvId::sc_roundtrip, w, "a larger class holding the size of unused class", c, "class", up);
        return;
      }
      continue;
    }
    // The sizes at both edges of a class in use map back into it.
    for (size_t n : {prev_used + 1, sz}) {
      unsigned got = t.to_class(n);
      if (got != c || t.to_size(got) < n) {
        s.fail2(registry::InvId::sc_roundtrip, w, "class holding the size, class", c, "class", got);
        return;
      }
    }
    prev_used = sz;
  }
}

}  // namespace hm::check
