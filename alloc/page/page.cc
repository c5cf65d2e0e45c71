// page box: page set-up, batch take and teardown.
#include "page/page.h"
#include "page/inspect.h"
#include "page/poison.h"

#include <sys/auxv.h>

#include <cstring>
#include <new>

#include "config/config.h"
#include "report/report.h"

namespace hm {
namespace page_detail {
constinit uintptr_t g_secret = 0x9e3779b97f4a7c15ull;
}

void page_secret_init() {
  uintptr_t s = 0;
  if (auto* r = reinterpret_cast<const unsigned char*>(getauxval(AT_RANDOM))) std::memcpy(&s, r + 8, sizeof s);
  s ^= reinterpret_cast<uintptr_t>(&s) * 0xff51afd7ed558ccdull;
  page_detail::g_secret = s | 1;  // never zero, never a plausible pointer difference
}

void page_stale_block(const void* b) {
  report::Site site;
  site.addr = b;
  uintptr_t u = reinterpret_cast<uintptr_t>(b);
  if (const Page* pg = page_of(u)) {
    site.size_class = pg->cls;
    site.page = pg;
    site.segment = segment_of(u);
  }
  report::report_misuse(registry::ErrorId::stale_free, site);
}

Page* page_new(unsigned cls, Heap* owner) {
  unsigned slices = class_slices(cls);
  Span span = segment_page_alloc(slices);
  if (!span.meta) return nullptr;
  auto* pg = new (span.meta) Page{};
  pg->block_size = static_cast<uint32_t>(class_to_size(cls));
  const size_t color = page_color(reinterpret_cast<uintptr_t>(span.start), span.bytes, pg->block_size,
                                  config().page_color);
  pg->capacity = static_cast<uint32_t>((span.bytes - color) / pg->block_size);
  pg->cls = static_cast<uint16_t>(cls);
  pg->slices = static_cast<uint8_t>(slices);
  pg->blk_mul = blk_mul_for(pg->block_size);
  pg->cookie_key = page_detail::g_secret;
  pg->start = span.start + color;
  pg->used = 0;
  pg->owner.store(owner, std::memory_order_relaxed);
  pg->free = nullptr;
  pg->carved.store(0, std::memory_order_relaxed);
  pg->carve_limit.store(0, std::memory_order_relaxed);
  HM_CHECK_HOOK(page_new, pg, cls);
  return pg;
}

void page_delete(Page* pg) {
  HM_CHECK_HOOK(page_delete, pg, 0);
  pg->owner.store(nullptr, std::memory_order_relaxed);
  pg->capacity = 0;
  uintptr_t span = reinterpret_cast<uintptr_t>(pg->start) & ~(kSliceSize - 1);  // below any colour offset
  unpoison_span(reinterpret_cast<void*>(span), size_t{pg->slices} << kSliceShift);
  segment_page_free(pg);
}

unsigned page_take(Page* pg, unsigned n, Block** first, Block** last, unsigned max_fresh) {
  unsigned k = 0;
  Block* head = pg->free;
  Block* tail = nullptr;
  if (head && n) {
    // Each block's cookie is checked before its link is read, and the link must lead to a
    // block of this page: a block freed again (or written) while on the list stops here.
    for (Block* b = head;;) {
      page_check_listed(pg, b);
      b->cookie = free_cookie(reinterpret_cast<uintptr_t>(b));
      tail = b;
      if (++k == n || !b->next) break;
      b = b->next;
    }
    pg->free = tail->next;
  }
  uint32_t carved = pg->carved.load(std::memory_order_relaxed);
  if (k < n && carved < pg->capacity && max_fresh) {
    uint32_t m = n - k < pg->capacity - carved ? n - k : pg->capacity - carved;
    if (m > max_fresh) m = max_fresh;
    uint8_t* p = pg->start + static_cast<size_t>(carved) * pg->block_size;
    for (uint32_t i = 0; i < m; ++i, p += pg->block_size) {
      auto* b = reinterpret_cast<Block*>(p);
      b->cookie = free_cookie(reinterpret_cast<uintptr_t>(b));
      if (tail) tail->next = b;
      else head = b;
      tail = b;
    }
    pg->carved.store(carved + m, std::memory_order_relaxed);
    pg->carve_limit.store((carved + m) * blk_step(pg->block_size), std::memory_order_relaxed);
    k += m;
  }
  if (!k) return 0;
  *first = head;
  *last = tail;
  pg->used += k;
  return k;
}

}  // namespace hm
