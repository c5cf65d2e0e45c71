// invariants/: the large box. INV-LARGE-1: a header carries the magic of its state
// (handed out or cached) and sizes that fit its mapping; INV-LARGE-2: the cache's byte
// total and entry count match its entries and stay within HAKMEM_LARGE_CACHE_MB.
#include "check.h"
#include "config/config.h"
#include "large/large.h"
#include "os/os.h"
#include "pagemap/pagemap.h"

namespace hm::check {
namespace {

Where at_header(const LargeHeader* h) {
  Where w;
  w.addr = reinterpret_cast<const uint8_t*>(h) + h->offset;
  w.page = h;
  return w;
}

}  // namespace

bool check_large_header(Sink& s, const LargeHeader* h, bool cached) {
  Where w = at_header(h);
  uintptr_t base = reinterpret_cast<uintptr_t>(h);
  if (pagemap_kind(base) != kSegLarge) return s.fail(registry::InvId::large_header, w, "page-map kind", kSegLarge, pagemap_kind(base));
  if (h->offset < 64 || h->offset > kSegmentSize || h->offset % kMinAlign)
    return s.fail(registry::InvId::large_header, w, "block offset (64..4 MiB, 16-aligned)", 64, h->offset);
  uintptr_t block = base + h->offset;
  uint64_t magic = (cached ? kLargeFreedMagic : kLargeMagic) ^ block;
  if (h->magic != magic) return s.fail(registry::InvId::large_header, w, "magic", magic, h->magic, true);
  if (h->map_size % os_page_size() || h->map_size <= h->offset)
    return s.fail(registry::InvId::large_header, w, "mapping bytes above the offset, page multiple", h->offset, h->map_size);
  if (h->requested > h->map_size - h->offset)
    return s.fail(registry::InvId::large_header, w, "requested bytes at most", h->map_size - h->offset, h->requested);
  if (!cached && *large_guard_word(block) != (kLargeGuard ^ block))
    return s.fail(registry::InvId::large_header, w, "guard word", kLargeGuard ^ block, *large_guard_word(block), true);
  return true;
}

void check_large_cache(Sink& s, int level) {
  struct Ctx {
    Sink* s;
    size_t bytes = 0, entries = 0;
    const LargeHeader* first = nullptr;
  } ctx{&s};
  size_t entries = 0, limit = 0;
  size_t bytes = large_cache_for_each([](LargeHeader* h, void* arg) {
    auto* c = static_cast<Ctx*>(arg);
    if (!c->first) c->first = h;
    c->bytes += h->map_size;
    c->entries++;
    check_large_header(*c->s, h, true);
  }, &ctx, &entries, &limit);
  if (level < 2) return;
  Where w;
  w.addr = ctx.first;
  w.page = ctx.first;
  if (ctx.bytes != bytes) {
    s.fail(registry::InvId::large_cache, w, "cached bytes", ctx.bytes, bytes);
  } else if (ctx.entries != entries) {
    s.fail(registry::InvId::large_cache, w, "cached entries", ctx.entries, entries);
  } else if (bytes > limit) {
    s.fail(registry::InvId::large_cache, w, "cached bytes at most", limit, bytes);
  }
}

}  // namespace hm::check
