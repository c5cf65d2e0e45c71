// page box: page set-up, batch take and teardown.
#include "page/page.h"

#include <sys/auxv.h>

#include <cstring>
#include <new>

namespace hm {
namespace page_detail {
uintptr_t g_secret = 0x9e3779b97f4a7c15ull;
}

void page_secret_init() {
  uintptr_t s = 0;
  if (auto* r = reinterpret_cast<const unsigned char*>(getauxval(AT_RANDOM))) std::memcpy(&s, r + 8, sizeof s);
  s ^= reinterpret_cast<uintptr_t>(&s) * 0xff51afd7ed558ccdull;
  page_detail::g_secret = s | 1;  // never zero, never a plausible pointer difference
}

Page* page_new(unsigned cls, Heap* owner) {
  unsigned slices = class_slices(cls);
  Span span = segment_page_alloc(slices);
  if (!span.meta) return nullptr;
  auto* pg = new (span.meta) Page{};
  pg->block_size = static_cast<uint32_t>(class_to_size(cls));
  pg->capacity = static_cast<uint32_t>(span.bytes / pg->block_size);
  pg->cls = static_cast<uint16_t>(cls);
  pg->slices = static_cast<uint8_t>(slices);
  pg->div_magic = ((uint64_t{1} << kDivShift) + pg->block_size - 1) / pg->block_size;
  pg->start = span.start;
  pg->used = 0;
  pg->owner.store(owner, std::memory_order_relaxed);
  // Thread every block onto the free list in address order, each with its free cookie,
  // so that any free block is recognisable and a never-used block cannot be "freed".
  Block* head = nullptr;
  for (uint32_t i = pg->capacity; i-- > 0;) {
    auto* b = reinterpret_cast<Block*>(span.start + static_cast<size_t>(i) * pg->block_size);
    b->next = head;
    b->cookie = free_cookie(reinterpret_cast<uintptr_t>(b));
    head = b;
  }
  pg->free = head;
  return pg;
}

void page_delete(Page* pg) {
  pg->owner.store(nullptr, std::memory_order_relaxed);
  pg->capacity = 0;
  segment_page_free(pg);
}

unsigned page_take(Page* pg, unsigned n, Block** first, Block** last) {
  Block* b = pg->free;
  if (!b || !n) return 0;
  *first = b;
  unsigned k = 1;
  while (k < n && b->next) {
    b = b->next;
    ++k;
  }
  *last = b;
  pg->free = b->next;
  pg->used += k;
  return k;
}

}  // namespace hm
