// Fuzz harness of the page box: page_new (page_init), page_take, page_put, page_put_chain and page_block_index
// on a page of an input-chosen class, against a model of its free list (an ordered list of
// slots) and its carved count. Handed-out blocks carry a fill pattern. After each operation
// the used count is checked; the free list against the model and the checkers run on the
// cadence and at the end. The helpers other boxes call on a page's blocks run along: page_of,
// page_is_block, page_has_free, the cookies (each input starts with page_secret_init; a listed
// block with a broken cookie must be reported by page_check_listed and page_stale_block) and
// the ASan poisoning of free blocks.
#include <algorithm>
#include <deque>
#include <vector>

#include "fuzz_common.h"
#include "fuzz_crew.h"
#include "config/config.h"
#include "page/page.h"

using namespace hm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  unsigned cls = in.u8() % kClassCount;
  page_secret_init();  // no free block of an earlier input is keyed by the old secret
  Page* pg = page_new(cls, nullptr);
  HM_FUZZ_CHECK(pg != nullptr);
  HM_FUZZ_CHECK(pg->cookie_key == free_cookie(uintptr_t{0}) && (pg->cookie_key & 1));
  {  // the first block where page_color puts it (HAKMEM_PAGE_COLOR), every block within the span
    uintptr_t start = reinterpret_cast<uintptr_t>(pg->start), span = start & ~(kSliceSize - 1);
    size_t bytes = size_t{pg->slices} << kSliceShift;
    HM_FUZZ_CHECK(start - span == page_color(span, bytes, pg->block_size, config().page_color));
    HM_FUZZ_CHECK(start + size_t{pg->capacity} * pg->block_size <= span + bytes);
    HM_FUZZ_CHECK(start + (size_t{pg->capacity} + 1) * pg->block_size > span + bytes);  // every block that fits
  }
  auto slot = [&](uint32_t i) { return reinterpret_cast<Block*>(pg->start + size_t{i} * pg->block_size); };
  std::deque<uint32_t> free_list;
  std::vector<uint32_t> held;  // slots handed out, ascending
  std::vector<uint8_t> seeds(pg->capacity);
  uint32_t carved = 0;
  auto walk = [&] {
    size_t k = 0;
    for (Block* b = pg->free; b; b = b->next, ++k)
      HM_FUZZ_CHECK(k < free_list.size() && b == slot(free_list[k]) && b->cookie == page_cookie(reinterpret_cast<uintptr_t>(b)));
    HM_FUZZ_CHECK(k == free_list.size());
    for (Block* b = pg->free; b; b = b->next) page_check_listed(pg, b);  // reports if one disagreed
    hm_fuzz::check_invariants("page");
  };
  hm_fuzz::Cadence cadence;
  bool reported = false;  // the write after free has been reported in this input
  while (in.more()) {
    uint8_t op = in.u8();
    if (op % 3 == 0) {
      unsigned n = in.u16() % 600;
      uint8_t f = in.u8();
      unsigned fresh = f < 200 ? ~0u : f - 200u;  // mostly no carving limit, else 0..55
      Block *first = nullptr, *last = nullptr;
      unsigned got = page_take(pg, n, &first, &last, fresh);
      Block* b = first;
      unsigned free_before = static_cast<unsigned>(free_list.size());
      uint32_t carved_before = carved;
      for (unsigned k = 0; k < got; ++k) {
        uint32_t want = !free_list.empty() ? free_list.front() : carved++;
        if (!free_list.empty()) free_list.pop_front();
        HM_FUZZ_CHECK(b == slot(want));
        auto u = reinterpret_cast<uintptr_t>(b);
        HM_FUZZ_CHECK(b->cookie == free_cookie(u) && is_free_cookie(b->cookie, u));
        HM_FUZZ_CHECK(page_of(u) == pg && page_is_block(pg, u));
        poison_free_block(b, pg->block_size);  // as in a bin; then handed out
        if (op & 8) unpoison_small_block(b);
        else unpoison_span(b, pg->block_size);
        Block* next = b->next;
        uint8_t seed = static_cast<uint8_t>(op + k);
        hm_fuzz::fill(b, pg->block_size, seed);
        seeds[want] = seed;
        held.insert(std::lower_bound(held.begin(), held.end(), want), want);
        if (k + 1 == got) HM_FUZZ_CHECK(b == last);
        b = next;
      }
      HM_FUZZ_CHECK(carved - carved_before <= fresh);
      unsigned can = free_before + std::min<unsigned>(pg->capacity - carved_before, fresh);
      HM_FUZZ_CHECK(got == std::min(n, can));
    } else if (op % 3 == 1 && !held.empty() && (op & 0x40)) {
      // page_put_chain: up to 4 held blocks linked with their page cookies, spliced at once;
      // the list then reads the chain in order, then the old list.
      unsigned n = 1 + in.u8() % 4;
      Block *first = nullptr, *last = nullptr;
      std::vector<uint32_t> chain;
      for (unsigned k = 0; k < n && !held.empty(); ++k) {
        auto it = held.begin() + in.u16() % held.size();
        Block* b = slot(*it);
        HM_FUZZ_CHECK(hm_fuzz::check(b, pg->block_size, seeds[*it]));
        b->cookie = page_cookie(reinterpret_cast<uintptr_t>(b));
        if (last) last->next = b;
        else first = b;
        last = b;
        chain.push_back(*it);
        held.erase(it);
      }
      page_put_chain(pg, first, last, static_cast<unsigned>(chain.size()));
      free_list.insert(free_list.begin(), chain.begin(), chain.end());
    } else if (op % 3 == 1 && !held.empty()) {
      auto it = held.begin() + in.u16() % held.size();
      Block* b = slot(*it);
      HM_FUZZ_CHECK(hm_fuzz::check(b, pg->block_size, seeds[*it]));
      page_put(pg, b);
      free_list.push_front(*it);
      held.erase(it);
      if ((op & 0x80) && !reported) {  // the block written after free: reported, then mended
        reported = true;  // once per input: a report costs as much as the rest of an input
        b->cookie ^= 4;
        hm_fuzz::expect_report([&] { page_check_listed(pg, b); }, {"double free or write after free"});
        hm_fuzz::expect_report([&] { page_stale_block(b); }, {"double free or write after free"});
        b->cookie ^= 4;
      }
    } else {
      uint32_t i = in.u32() % pg->capacity, off = in.u32() % pg->block_size;
      long idx = page_block_index(pg, reinterpret_cast<uintptr_t>(slot(i)) + off);
      HM_FUZZ_CHECK(idx == (off == 0 && i < carved ? static_cast<long>(i) : -1L));
      HM_FUZZ_CHECK(page_is_block(pg, reinterpret_cast<uintptr_t>(slot(i)) + off) == (idx >= 0));
      HM_FUZZ_CHECK(page_of(reinterpret_cast<uintptr_t>(slot(i)) + off) == pg);
    }
    HM_FUZZ_CHECK(pg->used == carved - free_list.size());
    HM_FUZZ_CHECK(page_has_free(pg) == (!free_list.empty() || carved < pg->capacity));
    HM_FUZZ_CHECK(free_list.empty() ? pg->free == nullptr : pg->free == slot(free_list.front()));
    if (cadence.due()) walk();
  }
  walk();
  for (uint32_t i : held) page_put(pg, slot(i));
  page_delete(pg);
  return 0;
}
