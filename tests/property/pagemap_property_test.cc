// Property test of the pagemap box: pagemap_reserve, pagemap_set and pagemap_kind (and the free
// lane's slice_entry_any that reads it) against a model of unit kinds.
//
// The test owns a range of kUnits 4 MiB units mapped from the os box and writes in each unit
// what its kind says (a segment magic and slice table for small, a large header for large, a
// large header one unit below for large-above), so INV-PAGEMAP-1 holds after every command.
// After every command: every probed address of every unit reads the model's kind, the free
// lane reads the fake segment's slice table only where the unit is small, the box's counters
// moved by exactly the model's marks, and the checker is quiet. A corruption command breaks
// what one marked unit holds and shows INV-PAGEMAP-1 fires, then repairs it.
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include "large/large.h"
#include "os/os.h"
#include "pagemap/pagemap.h"
#include "pagemap/inspect.h"
#include "property_common.h"
#include "segment/segment.h"

namespace {

using namespace hm;

constexpr unsigned kUnits = 6;

struct Model {
  std::array<uint8_t, kUnits> kind{};
};
struct Sut {
  uintptr_t base = 0;
  PagemapCounters before{};
  unsigned char entry[kUnits];  // what the fake segments' slice tables point to
  Sut() {
    RC_ASSERT(pagemap_reserve());
    base = reinterpret_cast<uintptr_t>(os_map_aligned(kUnits * kSegmentSize, kSegmentSize));
    RC_ASSERT(base != 0u);
    before = pagemap_counters();
  }
  ~Sut() {
    for (unsigned i = kUnits; i-- > 0;) pagemap_set(unit(i), kSegNone);  // large-above first
    os_unmap(reinterpret_cast<void*>(base), kUnits * kSegmentSize);
  }
  uintptr_t unit(unsigned i) const { return base + i * kSegmentSize; }
};
using Cmd = rc::state::Command<Model, Sut>;

// Writes the contents kind k needs into unit i (the unit below too for large-above).
void dress(Sut& sut, unsigned i, uint8_t k) {
  uintptr_t a = sut.unit(i);
  if (k == kSegSmall) {
    auto* seg = reinterpret_cast<Segment*>(a);
    seg->magic = kSegmentMagic ^ a;
    for (unsigned s = 0; s < kSlicesPerSegment; ++s) seg->slice_meta[s] = s % 2 ? &sut.entry[i] : no_span();
  } else if (k == kSegLarge) {
    auto* h = reinterpret_cast<LargeHeader*>(a);
    if (h->offset != kSegmentSize) h->offset = 64 + 16 * i;
  } else if (k == kSegLargeAbove) {
    reinterpret_cast<LargeHeader*>(a - kSegmentSize)->offset = kSegmentSize;
  }
}

void check_all(const Model& m, const Sut& sut, uint64_t probe) {
  PagemapCounters c = pagemap_counters();
  RC_ASSERT(c.reserved);
  uint64_t n[kSegKinds] = {};
  for (unsigned i = 0; i < kUnits; ++i) {
    n[m.kind[i]]++;
    uintptr_t p = sut.unit(i) + probe % kSegmentSize;
    RC_ASSERT(pagemap_kind(p) == m.kind[i]);
    RC_ASSERT(pagemap_kind(sut.unit(i)) == m.kind[i]);
    RC_ASSERT(pagemap_kind(sut.unit(i) + kSegmentSize - 1) == m.kind[i]);
    unsigned slice = static_cast<unsigned>((p >> kSliceShift) & (kSlicesPerSegment - 1));
    const void* want = m.kind[i] == kSegSmall && slice % 2 ? static_cast<const void*>(&sut.entry[i]) : no_span();
    RC_ASSERT(bool(slice_entry_any(p) == want));  // the free lane's one-byte lookup
  }
  for (unsigned k = 1; k < kSegKinds; ++k) RC_ASSERT(c.units[k] == sut.before.units[k] + n[k]);
  hm_prop::check_invariants("pagemap");
}

struct Mark : Cmd {
  unsigned i = *rc::gen::inRange(0u, kUnits);
  uint8_t k = static_cast<uint8_t>(*rc::gen::inRange(1, 4));
  uint64_t probe = *rc::gen::arbitrary<uint64_t>();
  void checkPreconditions(const Model& m) const override {
    RC_PRE(m.kind[i] == kSegNone);
    // Large-above needs a free unit below, marked large here with a header whose block starts
    // this unit.
    bool below_free = i > 0 && m.kind[i - 1] == kSegNone;  // outside RC_PRE: it evaluates both sides
    if (k == kSegLargeAbove) RC_PRE(below_free);
  }
  void apply(Model& m) const override {
    if (k == kSegLargeAbove) m.kind[i - 1] = kSegLarge;
    m.kind[i] = k;
  }
  void run(const Model& m, Sut& sut) const override {
    dress(sut, i, k);
    if (k == kSegLargeAbove) pagemap_set(sut.unit(i - 1), kSegLarge);  // the header's unit first
    RC_ASSERT(pagemap_reserve());  // reserved already: returns at once
    pagemap_set(sut.unit(i), k);
    check_all(nextState(m), sut, probe);
  }
  void show(std::ostream& os) const override { os << "pagemap_set(unit " << i << ", kind " << int(k) << ")"; }
};

struct Clear : Cmd {
  unsigned i = *rc::gen::inRange(0u, kUnits);
  uint64_t probe = *rc::gen::arbitrary<uint64_t>();
  void checkPreconditions(const Model& m) const override {
    RC_PRE(m.kind[i] != kSegNone);
    bool above_marked = i + 1 < kUnits && m.kind[i + 1] == kSegLargeAbove;  // the block's unit goes first
    RC_PRE(!above_marked);
  }
  void apply(Model& m) const override { m.kind[i] = kSegNone; }
  void run(const Model& m, Sut& sut) const override {
    pagemap_set(sut.unit(i), kSegNone);
    reinterpret_cast<LargeHeader*>(sut.unit(i))->offset = 0;
    check_all(nextState(m), sut, probe);
  }
  void show(std::ostream& os) const override { os << "pagemap_set(unit " << i << ", none)"; }
};

// Breaks what one marked unit holds; the checker reports INV-PAGEMAP-1; the unit is repaired.
struct Corrupt : Cmd {
  unsigned i = *rc::gen::inRange(0u, kUnits);
  void checkPreconditions(const Model& m) const override { RC_PRE(m.kind[i] != kSegNone); }
  void run(const Model& m, Sut& sut) const override {
    uintptr_t a = sut.unit(i);
    uint64_t* word = m.kind[i] == kSegSmall ? &reinterpret_cast<Segment*>(a)->magic
                     : m.kind[i] == kSegLarge ? reinterpret_cast<uint64_t*>(&reinterpret_cast<LargeHeader*>(a)->offset)
                                              : reinterpret_cast<uint64_t*>(
                                                    &reinterpret_cast<LargeHeader*>(a - kSegmentSize)->offset);
    uint64_t saved = *word;
    *word = saved ^ 0x8;  // a segment magic off by a bit; an offset off 16-byte alignment
    hm_check_result r{};
    int n = hm_check_box("pagemap", 2, &r);
    int quiet = hm_check_box("pagemap", 1, nullptr);  // a walk: level 2 only
    *word = saved;
    RC_ASSERT(n >= 1);
    RC_ASSERT(std::string(r.id) == "INV-PAGEMAP-1");
    RC_ASSERT(quiet == 0);
    check_all(m, sut, 0);
  }
  void show(std::ostream& os) const override { os << "corrupt(unit " << i << ")"; }
};

// Addresses outside the table (beyond 47 bits) read none, and so does the free lane.
struct Outside : Cmd {
  uint64_t probe = *rc::gen::arbitrary<uint64_t>();
  void run(const Model& m, Sut& sut) const override {
    uintptr_t p = (uintptr_t{1} << kAddressBits) | probe;
    RC_ASSERT(pagemap_kind(p) == kSegNone);
    RC_ASSERT(bool(slice_entry_any(p) == no_span()));
    check_all(m, sut, probe);
  }
  void show(std::ostream& os) const override { os << "pagemap_kind(outside " << probe << ")"; }
};

RC_GTEST_PROP(PagemapProperty, KindsMatchModel, ()) {
  Model m;
  Sut s;
  rc::state::check(m, s, rc::state::gen::execOneOfWithArgs<Mark, Mark, Clear, Corrupt, Outside>());
}

// Before anything reserves the map (a fresh process that has not allocated through hakmem),
// every lookup answers none without reading a table, the free lane reads the all-no-span table,
// and the checker is quiet; the first reservation makes the table and later ones return at once.
TEST(PagemapFresh, LookupsBeforeTheReservationReadNoTable) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // re-executed: a process hakmem never touched
  EXPECT_EXIT(
      {
        int bad = 0;
        bad |= pagemap_counters().reserved ? 1 : 0;
        int local = 0;
        for (uintptr_t p : {uintptr_t{0}, reinterpret_cast<uintptr_t>(&local), uintptr_t{1} << 40, ~uintptr_t{0}}) {
          bad |= pagemap_kind(p) != kSegNone ? 2 : 0;
          bad |= slice_entry_any(p) != no_span() ? 4 : 0;
        }
        bad |= hm_check_box("pagemap", 2, nullptr) != 0 ? 8 : 0;
        pagemap_set(reinterpret_cast<uintptr_t>(&local) & ~kSegmentMask, kSegNone);  // nothing to clear
        bad |= pagemap_counters().reserved ? 16 : 0;
        bad |= !pagemap_reserve() || !pagemap_reserve() || !pagemap_counters().reserved ? 32 : 0;
        bad |= pagemap_kind(reinterpret_cast<uintptr_t>(&local)) != kSegNone ? 64 : 0;
        std::exit(bad);
      },
      testing::ExitedWithCode(0), "");
}

// The fork protocol (the front's fork handlers): pagemap_lock_all before fork(), pagemap_unlock_all
// after it in parent and child; both then mark units as before (a large mapping marks its unit),
// each in its own table. A lock left held would hang the child (and fail the test by its timeout).
TEST(PagemapFork, LockAllAroundForkLeavesBothSidesWorking) {
  ASSERT_TRUE(pagemap_reserve());
  pagemap_lock_all();
  int local = 0;
  EXPECT_EQ(pagemap_kind(reinterpret_cast<uintptr_t>(&local)), kSegNone);  // lookups take no lock
  pid_t pid = fork();
  if (pid == 0) {
    pagemap_unlock_all();
    void* p = large_alloc(size_t{5} << 20, 16);
    LargeHeader* h = nullptr;
    int bad = !p || large_lookup(reinterpret_cast<uintptr_t>(p), &h) != LargeLookup::kOk ? 1 : 0;
    bad |= p && pagemap_kind(reinterpret_cast<uintptr_t>(h)) != kSegLarge ? 2 : 0;
    _exit(bad);
  }
  pagemap_unlock_all();
  ASSERT_GT(pid, 0);
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  void* p = large_alloc(size_t{5} << 20, 16);
  ASSERT_NE(p, nullptr);
  LargeHeader* h = nullptr;
  ASSERT_EQ(large_lookup(reinterpret_cast<uintptr_t>(p), &h), LargeLookup::kOk);
  EXPECT_EQ(pagemap_kind(reinterpret_cast<uintptr_t>(h)), kSegLarge);
  large_free(h);
}

}  // namespace
