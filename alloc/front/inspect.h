// front box inspection header (what its checker, invariants/front_check.cc, and the tests see beyond
// front.h), and the front's own header of checked mode: redzones around blocks, so heap overflows
// and underflows are seen.
// On in the debug build when HAKMEM_CHECK=2 at start-up (g_redzones); the functions work in any
// build, since a redzoned block is recognised by its head, not by the mode.
//
//   small block of class >= n + 32:  [head: magic word | size word][n bytes][tail pattern ... end]
//                                     ^ block start                ^ user pointer (block + 16)
//   large block of n + 16 bytes:      [header][gap pattern][n bytes][16 tail pattern bytes]
//                                     (its header says n + 16)
//
// The head's words are keyed by the block's address and the process secret (free_cookie), so a
// program cannot forge them; the tail's bytes by their own address, so data copied from another
// block does not pass for a tail. The free checks both (INV-FRONT-1, "heap overflow" or "heap
// underflow" naming the front box); the calling thread's last kRecentRedzones blocks are also
// checked by the level-2 walker and hm_check_all, before they are freed.
#pragma once

#include "large/large.h"
#include "page/page.h"
#include "registry/registry.h"

namespace hm {

inline constexpr size_t kRedHead = 16;
inline constexpr size_t kRedTail = 16;
inline constexpr unsigned kRedNonceShift = 48;  // the size word's top 16 bits: the wrap's nonce
inline constexpr unsigned kRecentRedzones = 16;

extern bool g_redzones;  // set once at start-up (debug build, HAKMEM_CHECK=2)
// Whether this build can run in checked mode: the check hooks compiled in, so the malloc fast
// lane defers to the slow path, which wraps. Harnesses that switch g_redzones ask first.
bool redzones_supported();

// Gives a handed-out small block of block_size >= n + 32 bytes its redzones; the user pointer.
void* redzone_wrap(void* block, size_t n, size_t block_size);
// The block whose user pointer p is, when p is kRedHead bytes past a carved block start of pg
// whose head carries the magic word (live or not); else nullptr.
Block* redzone_block(const void* p, const Page* pg);
// The requested size a redzoned block's head records (its usable size).
size_t redzone_size(const Block* blk);
// The first broken byte of the redzones of the block at user pointer p (head blk), nullptr when
// intact; *kind says which side (heap_underflow or heap_overflow).
const void* redzone_bad(const Block* blk, const void* p, registry::ErrorId* kind);
// The redzones of a large block of n user bytes (the mapping holds n + kRedTail): the tail, and
// the gap between its header and the block. Fill; check (the first broken byte, *kind telling
// which side).
void redzone_large_fill(void* p, size_t n);
const void* redzone_large_bad(const void* p, size_t n, const LargeHeader* hdr, registry::ErrorId* kind);

// The calling thread's last redzoned small blocks: user pointer and the head's first word when
// it was handed out (a block freed and handed out again has another head, and is skipped).
struct RecentRedzone {
  const void* p;
  uint64_t head;
  uint64_t size_word;  // the block's size word as this thread wrote it: its wrap's own (a nonce)
};
const RecentRedzone* redzone_recent(unsigned* n);

}  // namespace hm
