// front box, checked mode: the redzones of front/inspect.h.
#include "front/inspect.h"

#include <cstring>

#include "report/report.h"


namespace hm {

constinit bool g_redzones = false;

bool redzones_supported() { return report::kCheckHooks; }

namespace {

constexpr uint64_t kRedMagic = 0x68616b6d656d525aull;  // "hakmemRZ"

constinit thread_local RecentRedzone tl_recent[kRecentRedzones] HM_TLS = {};
constinit thread_local unsigned tl_recent_next HM_TLS = 0;

uint64_t head_word(uintptr_t blk) { return kRedMagic ^ free_cookie(blk); }
uint64_t size_key(uintptr_t blk) { return free_cookie(blk + 8) ^ kRedMagic; }
// A tail byte depends on its address from bit 3 up, so the eight bytes of an aligned word are
// one byte repeated: fills and checks go a word at a time between the unaligned ends (a redzone
// tail is up to the rest of a 128 KiB block).
uint8_t tail_byte(uintptr_t at) { return static_cast<uint8_t>(0xa5 ^ (at >> 3) ^ (at >> 11)); }
uint64_t tail_word(uintptr_t at) { return 0x0101010101010101ull * tail_byte(at); }
uintptr_t word_up(const uint8_t* p) { return (reinterpret_cast<uintptr_t>(p) + 7) & ~uintptr_t{7}; }

void fill_tail(uint8_t* from, uint8_t* end) {
  uint8_t* q = from;
  for (; q < end && reinterpret_cast<uintptr_t>(q) < word_up(from); ++q) *q = tail_byte(reinterpret_cast<uintptr_t>(q));
  for (; q + 8 <= end; q += 8) {
    uint64_t w = tail_word(reinterpret_cast<uintptr_t>(q));
    std::memcpy(q, &w, 8);
  }
  for (; q < end; ++q) *q = tail_byte(reinterpret_cast<uintptr_t>(q));
}
const uint8_t* bad_tail(const uint8_t* from, const uint8_t* end) {
  const uint8_t* q = from;
  for (; q < end && reinterpret_cast<uintptr_t>(q) < word_up(from); ++q)
    if (*q != tail_byte(reinterpret_cast<uintptr_t>(q))) return q;
  for (uint64_t w; q + 8 <= end; q += 8) {
    std::memcpy(&w, q, 8);
    if (w != tail_word(reinterpret_cast<uintptr_t>(q))) break;  // the loop below names the byte
  }
  for (; q < end; ++q)
    if (*q != tail_byte(reinterpret_cast<uintptr_t>(q))) return q;
  return nullptr;
}

// The guarded gap before a large block: from its header's end, at most 64 bytes (a block
// aligned to 4 MiB or more has its header a whole unit below).
template <class T>
T* gap_start(const LargeHeader* hdr, T* b) {
  auto* from = reinterpret_cast<T*>(const_cast<LargeHeader*>(hdr + 1));
  return b - from > 64 ? b - 64 : from;
}
// The gap ends at the large box's guard word, which the box checks itself.
template <class T>
T* gap_end(T* b) {
  return b - 8;
}

}  // namespace

void* redzone_wrap(void* block, size_t n, size_t block_size) {
  auto blk = reinterpret_cast<uintptr_t>(block);
  auto* w = static_cast<uint64_t*>(block);
  w[0] = head_word(blk);
  // The size word carries the thread's wrap count in its top 16 bits: another wrap of the same
  // block (freed and handed out again, by any thread) writes another word, so the walker's check
  // of a recent block can tell its own wrap from a later one being written.
  w[1] = (n | uint64_t{tl_recent_next & 0xffff} << kRedNonceShift) ^ size_key(blk);
  auto* user = reinterpret_cast<uint8_t*>(blk + kRedHead);
  fill_tail(user + n, reinterpret_cast<uint8_t*>(blk + block_size));
  tl_recent[tl_recent_next++ % kRecentRedzones] = {user, w[0], w[1]};
  return user;
}

Block* redzone_block(const void* p, const Page* pg) {
  uintptr_t blk = reinterpret_cast<uintptr_t>(p) - kRedHead;
  if (!pg || page_block_index(pg, blk) < 0) return nullptr;
  if (*reinterpret_cast<const uint64_t*>(blk) != head_word(blk)) return nullptr;
  return reinterpret_cast<Block*>(blk);
}

size_t redzone_size(const Block* blk) {
  auto u = reinterpret_cast<uintptr_t>(blk);
  return (reinterpret_cast<const uint64_t*>(blk)[1] ^ size_key(u)) & ((uint64_t{1} << kRedNonceShift) - 1);
}

const void* redzone_bad(const Block* blk, const void* p, registry::ErrorId* kind) {
  auto u = reinterpret_cast<uintptr_t>(blk);
  const Page* pg = page_of(u);
  *kind = registry::ErrorId::heap_underflow;
  if (!pg || reinterpret_cast<const uint64_t*>(blk)[0] != head_word(u)) return blk;
  size_t n = redzone_size(blk);
  if (n > pg->block_size - kRedHead - kRedTail) return reinterpret_cast<const uint64_t*>(blk) + 1;  // size word
  *kind = registry::ErrorId::heap_overflow;
  auto* user = static_cast<const uint8_t*>(p);
  return bad_tail(user + n, reinterpret_cast<const uint8_t*>(u + pg->block_size));
}

void redzone_large_fill(void* p, size_t n) {
  auto* b = static_cast<uint8_t*>(p);
  fill_tail(b + n, b + n + kRedTail);
  LargeHeader* hdr = nullptr;
  if (large_lookup(reinterpret_cast<uintptr_t>(p), &hdr) == LargeLookup::kOk)
    fill_tail(gap_start(hdr, b), gap_end(b));  // the gap between header and guard word
}

const void* redzone_large_bad(const void* p, size_t n, const LargeHeader* hdr, registry::ErrorId* kind) {
  auto* b = static_cast<const uint8_t*>(p);
  *kind = registry::ErrorId::heap_underflow;
  if (const void* q = bad_tail(gap_start(hdr, b), gap_end(b))) return q;
  *kind = registry::ErrorId::heap_overflow;
  return bad_tail(b + n, b + n + kRedTail);
}

const RecentRedzone* redzone_recent(unsigned* n) {
  *n = tl_recent_next < kRecentRedzones ? tl_recent_next : kRecentRedzones;
  return tl_recent;
}

}  // namespace hm
