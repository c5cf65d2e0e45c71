// Property test of the segment box: segment_page_alloc, segment_page_free, segment_trim, page_of
// (span_meta_of), slice_entry_any and the page-map kind of each span (pagemap_kind), against a map
// from span metadata to its slice count.
//
// After every command, for each live span: the span is slice-aligned inside a small segment,
// every probed address in it maps back to the span's metadata, span_start/span_slices agree
// with the model, no two spans overlap, and the words written into each span are intact.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "page/page.h"
#include "config/config.h"
#include "config/inspect.h"
#include "property_common.h"
#include "segment/segment.h"
#include "segment/inspect.h"

namespace {

using namespace hm;

struct Model {
  std::vector<unsigned> slices;  // one entry per live span, in allocation order
};
struct Sut {
  std::vector<Span> spans;
  ~Sut() {
    for (const Span& s : spans) segment_page_free(s.meta);
  }
};
using Cmd = rc::state::Command<Model, Sut>;

uint64_t tag(const Span& s) { return reinterpret_cast<uintptr_t>(s.start) * 0x9e3779b97f4a7c15ull; }

void check_all(const Model& m, const Sut& sut, uint64_t probe) {
  RC_ASSERT(m.slices.size() == sut.spans.size());
  std::vector<std::pair<uintptr_t, uintptr_t>> ranges;
  for (size_t i = 0; i < sut.spans.size(); ++i) {
    const Span& s = sut.spans[i];
    auto start = reinterpret_cast<uintptr_t>(s.start);
    RC_ASSERT(s.bytes == size_t{m.slices[i]} << kSliceShift);
    RC_ASSERT(start % kSliceSize == 0);
    RC_ASSERT((start & kSegmentMask) != 0);  // slice 0 holds the segment header
    RC_ASSERT(pagemap_kind(start) == kSegSmall);
    RC_ASSERT(bool(segment_of(start) == segment_of(start + s.bytes - 1)));
    RC_ASSERT(bool(span_start(s.meta) == s.start));
    RC_ASSERT(bool(span_slices(s.meta) == m.slices[i]));
    RC_ASSERT(bool(reinterpret_cast<uintptr_t>(s.meta) % 64 == 0));
    // page_of for the first and last byte, every slice boundary, and one probed interior address.
    RC_ASSERT(bool(span_meta_of(start) == s.meta));
    RC_ASSERT(bool(span_meta_of(start + s.bytes - 1) == s.meta));
    for (size_t off = 0; off < s.bytes; off += kSliceSize) RC_ASSERT(bool(page_of(start + off) == s.meta));
    RC_ASSERT(bool(page_of(start + probe % s.bytes) == s.meta));
    RC_ASSERT(bool(slice_entry_any(start + probe % s.bytes) == s.meta));  // the free lane's lookup
    // The neighbours outside the span do not map to it.
    RC_ASSERT(bool(span_meta_of(start - 1) != s.meta));
    RC_ASSERT(bool(span_meta_of(start + s.bytes) != s.meta));
    auto* words = reinterpret_cast<uint64_t*>(s.start);
    RC_ASSERT(words[0] == tag(s));
    RC_ASSERT(words[s.bytes / 8 - 1] == ~tag(s));
    ranges.emplace_back(start, start + s.bytes);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) RC_ASSERT(ranges[i - 1].second <= ranges[i].first);
  hm_prop::check_invariants("segment");
}

struct Alloc : Cmd {
  unsigned slices = *rc::gen::weightedOneOf<unsigned>(
      {{6, rc::gen::inRange(1u, 4u)}, {2, rc::gen::inRange(4u, 20u)}, {1, rc::gen::inRange(20u, 64u)}});
  uint64_t probe = *rc::gen::arbitrary<uint64_t>();
  void apply(Model& m) const override { m.slices.push_back(slices); }
  void run(const Model& m, Sut& sut) const override {
    Span s = segment_page_alloc(slices);
    RC_ASSERT(bool(s.meta != nullptr));
    RC_ASSERT(bool(s.start != nullptr));
    auto* words = reinterpret_cast<uint64_t*>(s.start);
    words[0] = tag(s);
    words[s.bytes / 8 - 1] = ~tag(s);
    sut.spans.push_back(s);
    check_all(nextState(m), sut, probe);
  }
  void show(std::ostream& os) const override { os << "segment_page_alloc(" << slices << ")"; }
};

struct Free : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  uint64_t probe = *rc::gen::arbitrary<uint64_t>();
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.slices.empty()); }
  void apply(Model& m) const override { m.slices.erase(m.slices.begin() + static_cast<long>(pick % m.slices.size())); }
  void run(const Model& m, Sut& sut) const override {
    size_t i = pick % sut.spans.size();
    Span s = sut.spans[i];
    sut.spans.erase(sut.spans.begin() + static_cast<long>(i));
    segment_page_free(s.meta);
    auto start = reinterpret_cast<uintptr_t>(s.start);
    // A freed span's slices map to no span (or the whole segment is gone).
    RC_ASSERT(bool(span_meta_of(start) == nullptr));
    RC_ASSERT(bool(span_meta_of(start + s.bytes - 1) == nullptr));
    RC_ASSERT(bool(slice_entry_any(start) == no_span()));
    check_all(nextState(m), sut, probe);
  }
  void show(std::ostream& os) const override { os << "segment_page_free(#" << pick << ")"; }
};

// segment_trim purges the freed slices and unmaps the spare segment: live spans keep their
// words and their mapping, and nothing is left for a second trim.
struct Trim : Cmd {
  uint64_t probe = *rc::gen::arbitrary<uint64_t>();
  void run(const Model& m, Sut& sut) const override {
    (void)segment_trim();
    RC_ASSERT(segment_counters().dirty_slices == 0u);
    RC_ASSERT(segment_trim() == 0u);
    check_all(m, sut, probe);
  }
  void show(std::ostream& os) const override { os << "segment_trim()"; }
};

// The idle purge at HAKMEM_PURGE_DELAY_MS 0 (the property's setting): every span free ages the
// unpurged slices and falls due at once, so one call purges every one of them; live spans keep
// their words and their mapping.
struct PurgeIdle : Cmd {
  uint64_t probe = *rc::gen::arbitrary<uint64_t>();
  void run(const Model& m, Sut& sut) const override {
    segment_purge_idle();
    RC_ASSERT(segment_counters().dirty_slices == 0u);
    check_all(m, sut, probe);
  }
  void show(std::ostream& os) const override { os << "segment_purge_idle()"; }
};

// Addresses that are not in any small segment map to nothing.
struct ForeignLookup : Cmd {
  int which = *rc::gen::inRange(0, 3);
  void run(const Model& m, Sut& sut) const override {
    static int stack_var;
    uintptr_t p = which == 0 ? reinterpret_cast<uintptr_t>(&stack_var)
                 : which == 1 ? (uintptr_t{1} << kAddressBits) + 4096
                              : ~uintptr_t{0} - 15;
    RC_ASSERT(pagemap_kind(p) == kSegNone);
    RC_ASSERT(bool(page_of(p) == nullptr));
    RC_ASSERT(bool(slice_entry_any(p) == no_span()));
    check_all(m, sut, 0);
  }
  void show(std::ostream& os) const override { os << "foreign_lookup(" << which << ")"; }
};

RC_GTEST_PROP(SegmentProperty, SpansMatchMapModel, ()) {
  auto& cfg = config_detail::g_config;
  long saved = cfg.purge_delay_ms;
  cfg.purge_delay_ms = 0;  // every free a purge tick: spans freed are purged by the next free or idle purge
  (void)segment_trim();   // nothing unpurged from before, nothing due
  Model m;
  Sut s;
  rc::state::check(m, s, rc::state::gen::execOneOfWithArgs<Alloc, Alloc, Free, Trim, PurgeIdle, ForeignLookup>());
  cfg.purge_delay_ms = saved;
}

// The fork protocol (the front's fork handlers): segment_lock_all before fork(), segment_unlock_all
// after it in parent and child; both then carve and free spans as before. A lock left held would
// hang the child (and fail the test by its timeout).
TEST(SegmentFork, LockAllAroundForkLeavesBothSidesWorking) {
  Span before = segment_page_alloc(2);
  ASSERT_NE(before.meta, nullptr);
  segment_lock_all();
  EXPECT_EQ(span_meta_of(reinterpret_cast<uintptr_t>(before.start)), before.meta);  // lookups take no lock
  pid_t pid = fork();
  if (pid == 0) {
    segment_unlock_all();
    Span s = segment_page_alloc(3);
    int bad = !s.meta || span_meta_of(reinterpret_cast<uintptr_t>(s.start) + 5) != s.meta ? 1 : 0;
    if (s.meta) segment_page_free(s.meta);
    segment_page_free(before.meta);
    bad |= span_meta_of(reinterpret_cast<uintptr_t>(before.start)) != nullptr ? 2 : 0;
    _exit(bad);
  }
  segment_unlock_all();
  ASSERT_GT(pid, 0);
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  EXPECT_EQ(span_meta_of(reinterpret_cast<uintptr_t>(before.start)), before.meta);  // freed in the child only
  Segment* seg = segment_of(reinterpret_cast<uintptr_t>(before.start));
  EXPECT_EQ(seg->magic, kSegmentMagic ^ reinterpret_cast<uintptr_t>(seg));
  segment_page_free(before.meta);
}

}  // namespace
