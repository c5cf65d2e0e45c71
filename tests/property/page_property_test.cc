// Property test of the page box: page_init (page_new), page_take, page_put, page_put_chain,
// page_block_index, and
// the helpers other boxes call on a page's blocks: page_of, page_is_block, page_has_free, the cookies
// (free_cookie, page_cookie, is_free_cookie, page_check_listed, page_stale_block, page_secret_init)
// and the ASan poisoning of free blocks (poison_free_block, unpoison_small_block, unpoison_span).
//
// Model: how many slots have been carved (slots are carved lazily, in address order), the
// page's free list as an ordered list of slot indices (page_take removes from the front and
// then carves new slots, page_put pushes on the front), and the slots handed out, each with a
// fill seed. After every command the real free list equals the model exactly, every free block
// carries its free cookie, used == carved - free, and handed-out blocks keep their fill.
#include <deque>
#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "config/config.h"
#include "page/page.h"
#include "property_common.h"

#if defined(HAKMEM_ASAN) && HAKMEM_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace {

using namespace hm;

// Whether any byte of [p, p + n) is poisoned (always false without ASan).
bool poisoned(const void* p, size_t n) {
#if defined(HAKMEM_ASAN) && HAKMEM_ASAN
  return __asan_region_is_poisoned(const_cast<void*>(p), n) != nullptr;
#else
  (void)p, (void)n;
  return false;
#endif
}
#if defined(HAKMEM_ASAN) && HAKMEM_ASAN
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif

struct Model {
  unsigned cls = 0;
  uint32_t capacity = 0;
  uint32_t carved = 0;
  std::deque<uint32_t> free;           // front = head of the free list
  std::map<uint32_t, uint8_t> held;    // slot -> fill seed
};

// A case that passes gives its blocks and page back; a failed one leaks them.
struct Sut {
  Page* pg = nullptr;
  void release(const std::map<uint32_t, uint8_t>& held) {
    for (auto [i, seed] : held) {
      page_put(pg, reinterpret_cast<Block*>(pg->start + size_t{i} * pg->block_size));
    }
    page_delete(pg);
    pg = nullptr;
  }
};
using Cmd = rc::state::Command<Model, Sut>;

Block* slot(const Page* pg, uint32_t i) { return reinterpret_cast<Block*>(pg->start + size_t{i} * pg->block_size); }

void check_all(const Model& m, const Sut& s) {
  const Page* pg = s.pg;
  RC_ASSERT(pg->capacity == m.capacity);
  RC_ASSERT(pg->cls == m.cls);
  RC_ASSERT(pg->block_size == class_to_size(m.cls));
  RC_ASSERT(pg->used == m.carved - m.free.size());
  RC_ASSERT(pg->carved.load() == m.carved);
  size_t k = 0;
  for (const Block* b = pg->free; b; b = b->next, ++k) {
    RC_ASSERT(k < m.free.size());
    RC_ASSERT(bool(b == slot(pg, m.free[k])));
    RC_ASSERT(b->cookie == page_cookie(reinterpret_cast<uintptr_t>(b)));  // on its page's list
    RC_ASSERT(is_free_cookie(b->cookie, reinterpret_cast<uintptr_t>(b)));
    page_check_listed(pg, b);  // a report (abort) if it disagreed
  }
  RC_ASSERT(page_has_free(pg) == (!m.free.empty() || m.carved < m.capacity));
  RC_ASSERT(k == m.free.size());
  for (auto [i, seed] : m.held) RC_ASSERT(bool(hm_prop::check_fill(slot(pg, i), pg->block_size, seed)));
  hm_prop::check_invariants("page");
}

struct Take : Cmd {
  unsigned n = *rc::gen::weightedOneOf<unsigned>({{4, rc::gen::inRange(0u, 8u)}, {1, rc::gen::inRange(8u, 5000u)}});
  unsigned fresh = *rc::gen::weightedOneOf<unsigned>({{3, rc::gen::just(~0u)}, {1, rc::gen::inRange(0u, 6u)}});
  uint8_t seed = *rc::gen::arbitrary<uint8_t>();
  void apply(Model& m) const override {
    unsigned carved_now = 0;
    for (unsigned k = 0; k < n; ++k) {
      uint32_t i;
      if (!m.free.empty()) {
        i = m.free.front();
        m.free.pop_front();
      } else if (m.carved < m.capacity && carved_now < fresh) {
        ++carved_now;
        i = m.carved++;
      } else {
        break;
      }
      m.held[i] = static_cast<uint8_t>(seed + k);
    }
  }
  void run(const Model& m, Sut& s) const override {
    Block *first = nullptr, *last = nullptr;
    unsigned got = page_take(s.pg, n, &first, &last, fresh);
    size_t can_carve = std::min<size_t>(m.capacity - m.carved, fresh);
    unsigned want = static_cast<unsigned>(std::min<size_t>(n, m.free.size() + can_carve));
    RC_ASSERT(got == want);
    Block* b = first;
    for (unsigned k = 0; k < got; ++k) {
      uint32_t expect = k < m.free.size() ? m.free[k] : m.carved + static_cast<uint32_t>(k - m.free.size());
      RC_ASSERT(bool(b == slot(s.pg, expect)));
      auto u = reinterpret_cast<uintptr_t>(b);
      RC_ASSERT(b->cookie == free_cookie(u));  // taken: a bin's cookie until handed out
      RC_ASSERT(b->cookie == free_cookie(s.pg, u));
      RC_ASSERT(is_free_cookie(b->cookie, u));
      RC_ASSERT(bool(page_of(u) == s.pg));
      RC_ASSERT(page_is_block(s.pg, u));
      // A free block in a bin is poisoned past its header, and unpoisoned when handed out.
      size_t bs = s.pg->block_size;
      poison_free_block(b, bs);
      RC_ASSERT(poisoned(b, bs) == (kAsan && bs > sizeof(Block)));
      RC_ASSERT(!poisoned(b, sizeof(Block)));
      unpoison_small_block(b);
      RC_ASSERT(!poisoned(b, bs));
      poison_free_block(b, bs);
      unpoison_span(b, bs);
      RC_ASSERT(!poisoned(b, bs));
      Block* next = b->next;
      if (k + 1 == got) RC_ASSERT(bool(b == last));
      // Handed out: the caller clears the cookie (as the front does) and writes its data.
      hm_prop::fill(b, s.pg->block_size, static_cast<uint8_t>(seed + k));
      b = next;
    }
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "page_take(" << n << ", max_fresh " << fresh << ")"; }
};

struct Put : Cmd {
  size_t pick = *rc::gen::arbitrary<size_t>();
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.held.empty()); }
  uint32_t which(const Model& m) const {
    auto it = m.held.begin();
    std::advance(it, static_cast<long>(pick % m.held.size()));
    return it->first;
  }
  void apply(Model& m) const override {
    uint32_t i = which(m);
    m.held.erase(i);
    m.free.push_front(i);
  }
  void run(const Model& m, Sut& s) const override {
    uint32_t i = which(m);
    Block* b = slot(s.pg, i);
    RC_ASSERT(hm_prop::check_fill(b, s.pg->block_size, m.held.at(i)));
    page_put(s.pg, b);  // gives the block its page cookie
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "page_put(#" << pick << ")"; }
};

// page_put_chain: up to 8 held blocks, linked in the drawn order with their page cookies, go
// back in one splice: the chain's first block becomes the head and its last links to the old
// head, so the list reads the chain then the old list.
struct PutChain : Cmd {
  std::vector<size_t> picks = *rc::gen::container<std::vector<size_t>>(*rc::gen::inRange<size_t>(1, 9), rc::gen::arbitrary<size_t>());
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.held.empty()); }
  // The slots of the chain, in order: each pick among the slots still held (no repeats).
  std::vector<uint32_t> chain(const Model& m) const {
    std::map<uint32_t, uint8_t> left = m.held;
    std::vector<uint32_t> out;
    for (size_t pick : picks) {
      if (left.empty()) break;
      auto it = left.begin();
      std::advance(it, static_cast<long>(pick % left.size()));
      out.push_back(it->first);
      left.erase(it);
    }
    return out;
  }
  void apply(Model& m) const override {
    auto c = chain(m);
    for (auto it = c.rbegin(); it != c.rend(); ++it) m.held.erase(*it), m.free.push_front(*it);
  }
  void run(const Model& m, Sut& s) const override {
    auto c = chain(m);
    Block* first = slot(s.pg, c.front());
    Block* last = first;
    for (size_t k = 0; k < c.size(); ++k) {
      Block* b = slot(s.pg, c[k]);
      RC_ASSERT(hm_prop::check_fill(b, s.pg->block_size, m.held.at(c[k])));
      b->cookie = page_cookie(reinterpret_cast<uintptr_t>(b));
      if (k) last->next = b;
      last = b;
    }
    page_put_chain(s.pg, first, last, static_cast<unsigned>(c.size()));
    check_all(nextState(m), s);
  }
  void show(std::ostream& os) const override { os << "page_put_chain(" << picks.size() << " picks)"; }
};

// page_block_index: exact block starts give their index; interior, misaligned and outside
// addresses give -1.
struct BlockIndex : Cmd {
  uint32_t slot_pick = *rc::gen::arbitrary<uint32_t>();
  uint32_t offset = *rc::gen::arbitrary<uint32_t>();
  int kind = *rc::gen::inRange(0, 4);
  void run(const Model& m, Sut& s) const override {
    const Page* pg = s.pg;
    uint32_t i = slot_pick % pg->capacity;
    auto base = reinterpret_cast<uintptr_t>(slot(pg, i));
    RC_ASSERT(bool(page_of(base + offset % pg->block_size) == pg));  // any address of the span
    for (uintptr_t a : {base, base + 1 + offset % (pg->block_size - 1)})
      RC_ASSERT(page_is_block(pg, a) == (page_block_index(pg, a) >= 0));
    switch (kind) {
      case 0:  // a carved slot gives its index, a never-carved one is not a block yet
        RC_ASSERT(page_block_index(pg, base) == (i < m.carved ? static_cast<long>(i) : -1L));
        break;
      case 1: {
        uintptr_t off = 1 + offset % (pg->block_size - 1);
        RC_ASSERT(page_block_index(pg, base + off) == -1);
        break;
      }
      case 2:  // just past the last block
        RC_ASSERT(page_block_index(pg, reinterpret_cast<uintptr_t>(pg->start) + size_t{pg->capacity} * pg->block_size) == -1);
        break;
      case 3:  // below the first block
        RC_ASSERT(page_block_index(pg, reinterpret_cast<uintptr_t>(pg->start) - 16 * (1 + offset % 64)) == -1);
        break;
    }
    check_all(m, s);
  }
  void show(std::ostream& os) const override { os << "page_block_index(kind " << kind << ", #" << slot_pick << ")"; }
};

RC_GTEST_PROP(PageProperty, FreeListMatchesSlotModel, ()) {
  unsigned cls = *rc::gen::weightedOneOf<unsigned>(
      {{4, rc::gen::inRange(0u, kFastClasses)}, {1, rc::gen::inRange(kFastClasses, kClassCount)}});
  Sut s;
  s.pg = page_new(cls, nullptr);
  RC_ASSERT(bool(s.pg != nullptr));
  Model m;
  m.cls = cls;
  {  // every block that fits in the span after its colour offset (HAKMEM_PAGE_COLOR; 0 at the default)
    const size_t bytes = size_t{class_slices(cls)} << kSliceShift;
    const uintptr_t span = reinterpret_cast<uintptr_t>(s.pg->start) & ~(kSliceSize - 1);
    m.capacity = static_cast<uint32_t>((bytes - page_color(span, bytes, class_to_size(cls), config().page_color)) /
                                       class_to_size(cls));
  }
  check_all(m, s);
  rc::state::check(m, s, rc::state::gen::execOneOfWithArgs<Take, Take, Put, Put, PutChain, BlockIndex>());
  // Hand back what the commands left held: replay the model on a copy of the command list is
  // not available here, so walk the page: every carved slot not on the free list is held.
  std::map<uint32_t, uint8_t> held;
  std::vector<bool> on_free(s.pg->capacity);
  for (Block* b = s.pg->free; b; b = b->next) on_free[page_block_index(s.pg, reinterpret_cast<uintptr_t>(b))] = true;
  for (uint32_t i = 0; i < s.pg->carved.load(); ++i)
    if (!on_free[i]) held[i] = 0;
  s.release(held);
}

// A block found on a free list without its page cookie was freed twice or written after free:
// page_check_listed reports it, as page_stale_block does, and the process ends.
TEST(PageProperty, StaleListedBlockIsReported) {
  Page* pg = page_new(3, nullptr);
  ASSERT_NE(pg, nullptr);
  Block *first = nullptr, *last = nullptr;
  ASSERT_EQ(page_take(pg, 2, &first, &last), 2u);
  Block* second = first->next;
  page_put(pg, first);
  page_put(pg, second);
  page_check_listed(pg, pg->free);  // intact: returns
  pg->free->cookie ^= 2;            // written after free
  EXPECT_DEATH(page_check_listed(pg, pg->free), "double free or write after free");
  EXPECT_DEATH(page_stale_block(pg->free), "double free or write after free");
  pg->free->cookie ^= 2;
  page_check_listed(pg, pg->free);
  page_delete(pg);
}

// page_secret_init chooses the secret new pages copy: odd, and the one free_cookie uses. (A test
// process of its own, with no free block keyed by the previous secret.)
TEST(PageProperty, SecretInitKeysNewPages) {
  page_secret_init();
  EXPECT_EQ(free_cookie(uintptr_t{0}) & 1, 1u);
  Page* pg = page_new(10, nullptr);
  ASSERT_NE(pg, nullptr);
  EXPECT_EQ(pg->cookie_key, free_cookie(uintptr_t{0}));
  for (uintptr_t u : {reinterpret_cast<uintptr_t>(pg->start), reinterpret_cast<uintptr_t>(pg->start) + 4096}) {
    EXPECT_EQ(free_cookie(pg, u), free_cookie(u));
    EXPECT_EQ(page_cookie(u), free_cookie(u) ^ 1);
    EXPECT_TRUE(is_free_cookie(page_cookie(u), u));
    EXPECT_FALSE(is_free_cookie(page_cookie(u) ^ 2, u));
  }
  page_delete(pg);
}

}  // namespace

// page_color (HAKMEM_PAGE_COLOR): a span's first block lies a multiple of 64 bytes past the span's
// start, below 4 KiB and within the bytes the span leaves over, so every block still fits; a class
// whose size is a power of two, a span with under 64 bytes over, and the gate off give 0; the
// offset spreads over the spans of a class (16 consecutive slices, one colour each, take at least
// 4 colours where 16 or more are possible); value 2 colours every class within its own bounds; and a
// fresh page of any class starts where page_color says, holding every block that fits after it.
RC_GTEST_PROP(PageProperty, ColourOffsetsStayInTheSlackAndSpread, ()) {
  const unsigned cls = *rc::gen::inRange(0u, kClassCount);
  const size_t bs = class_to_size(cls), bytes = size_t{class_slices(cls)} << kSliceShift;
  const uintptr_t base = uintptr_t{0x200000000000} + (uintptr_t{*rc::gen::inRange(0u, 1u << 20)} << kSliceShift);
  const size_t slack = bytes % bs;
  std::set<size_t> seen;
  for (uintptr_t k = 0; k < 16; ++k) {
    const uintptr_t at = base + (k << kSliceShift);
    const size_t c = page_color(at, bytes, bs, 1);
    RC_ASSERT(c % 64 == 0);
    RC_ASSERT(c < 4096);
    RC_ASSERT(c <= slack);
    RC_ASSERT(c + bytes / bs * bs <= bytes);
    if ((bs & (bs - 1)) == 0 || slack < 64) RC_ASSERT(c == 0u);
    RC_ASSERT(page_color(at, bytes, bs, 0) == 0u);
    seen.insert(c);
  }
  if ((bs & (bs - 1)) != 0 && std::min<size_t>(slack, 4095) / 64 + 1 >= 16) RC_ASSERT(seen.size() >= 4u);
  // Value 2: every class, in steps of 64 bytes (of the block size for a power-of-two class above 64,
  // which stays aligned), below 4 KiB, dropping at most 1/16 of the span's blocks.
  const bool pow2 = (bs & (bs - 1)) == 0;
  const size_t granule = pow2 && bs > 64 ? bs : 64, cap = bytes / bs;
  std::set<size_t> seen2;
  for (uintptr_t k = 0; k < 16; ++k) {
    const size_t c = page_color(base + (k << kSliceShift), bytes, bs, 2);
    RC_ASSERT(c % granule == 0);
    RC_ASSERT(c < 4096);
    RC_ASSERT((bytes - c) / bs >= cap - cap / 16);
    seen2.insert(c);
  }
  const size_t room = bytes - (cap - cap / 16) * bs;
  if (std::min<size_t>(room, 4095) / granule + 1 >= 16) RC_ASSERT(seen2.size() >= 4u);
  Page* pg = page_new(cls, nullptr);
  RC_ASSERT(pg != nullptr);
  const uintptr_t start = reinterpret_cast<uintptr_t>(pg->start), span = start & ~(kSliceSize - 1);
  RC_ASSERT(start - span == page_color(span, bytes, bs, config().page_color));
  RC_ASSERT(pg->capacity == (bytes - (start - span)) / bs);
  RC_ASSERT(start + size_t{pg->capacity} * bs <= span + bytes);
  page_delete(pg);
}
