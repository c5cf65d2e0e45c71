// Fuzz harness of the front box (the public hm_* API): malloc, calloc, realloc, aligned_alloc,
// posix_memalign, memalign, free (plain, sized, aligned), usable size, frees from another
// thread and thread flushes, driven by the input. Live blocks carry a fill pattern and a canary
// after the requested bytes; the glibc return/errno contract is checked after every operation.
// A block is checked when it is made (alignment, usable size, canary) and when it is freed or
// reallocated (its fill too); every live block (alignment, usable size, canary, overlap; the
// fills of those made since the last walk and 16 more in turn) and the checkers are walked on
// the cadence, and at the end with every fill. The other thread is a persistent helper whose
// heap is given back at the end of every input. One input in four runs in checked mode
// (redzones), where a block written one byte past its end or before its start must be reported
// when it is freed.
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <vector>

#include "fuzz_common.h"
#include "front/inspect.h"
#include "fuzz_crew.h"
#include "tcache/inspect.h"
#include "hakmem/hakmem.h"
#include "segment_anchor.h"

namespace {

using namespace hm_fuzz;

struct Blk {
  void* p;
  size_t size, align, usable;
  uint8_t seed;
  bool fresh = true;  // made since the last walk
};

size_t pick_size(Input& in) {
  uint8_t scale = in.u8();
  uint32_t r = in.u32();
  switch (scale % 8) {
    case 0: return r % 17;
    case 1: case 2: case 3: return 1 + r % 1024;
    case 4: case 5: return 1 + r % (128 << 10);
    case 6: return (128 << 10) + r % (r & 0x10000 ? 2 << 20 : 256 << 10);  // large: mostly near the threshold
    default: return r % 3 == 0 ? SIZE_MAX - (r % 8192) : (r % 3 == 1 ? PTRDIFF_MAX : 1 + r % 256);
  }
}

// Alignment, usable size and canary; with fill, the fill too.
HM_FUZZ_UNTRACED void check_block(const Blk& b, bool fill = true) {
  HM_FUZZ_CHECK(reinterpret_cast<uintptr_t>(b.p) % b.align == 0);
  HM_FUZZ_CHECK(hm_malloc_usable_size(b.p) == b.usable);
  HM_FUZZ_CHECK(b.usable >= b.size);
  HM_FUZZ_CHECK(!fill || check(b.p, b.size, b.seed));
  HM_FUZZ_CHECK(canary_ok(b.p, b.size, b.usable));
}

// Every live block (the fills of those made since the last walk and of 16 more in turn; all of
// them when full, at the end of the input -- a block's fill is also checked when it is freed or
// reallocated), no two overlapping, then the checkers.
HM_FUZZ_UNTRACED void check_all(std::vector<Blk>& live, size_t* turn, bool full) {
  std::vector<std::pair<uintptr_t, uintptr_t>> r;
  size_t from = live.empty() ? 0 : *turn % live.size();
  for (size_t i = 0; i < live.size(); ++i) {
    Blk& b = live[i];
    check_block(b, full || b.fresh || (i + live.size() - from) % live.size() < 16);
    b.fresh = false;
    r.emplace_back(reinterpret_cast<uintptr_t>(b.p), reinterpret_cast<uintptr_t>(b.p) + b.usable);
  }
  *turn = from + 16;
  std::sort(r.begin(), r.end());
  for (size_t i = 1; i < r.size(); ++i) HM_FUZZ_CHECK(r[i - 1].second <= r[i].first);
  check_invariants();
}

// Records a fresh block (or checks the failure contract when p is NULL).
void adopt(std::vector<Blk>& live, void* p, size_t size, size_t align, uint8_t seed) {
  if (!p) {
    HM_FUZZ_CHECK(size > PTRDIFF_MAX - (2 << 20));  // only impossible requests fail
    HM_FUZZ_CHECK(errno == ENOMEM);
    return;
  }
  Blk b{p, size, align < 16 ? 16 : align, hm_malloc_usable_size(p), seed};
  fill(p, size, seed);
  put_canary(p, size, b.usable);
  check_block(b, false);  // the fill just written: checked at the next walk
  live.push_back(b);
}

// Frees and usable-size queries of addresses that are no live block: inside a live block, off
// its alignment, a large block freed twice, a stack address; and frees of a live block written
// one byte past its end (its redzone's tail, checked mode) or before its start (a small block's
// redzone head in checked mode, a large block's guard word in either mode), restored after the
// report. Each is reported with its kind.
void misuse(std::vector<Blk>& live, Input& in) {
  uint8_t what = in.u8() % 8;
  alignas(64) char local[64];  // no block of ours, aligned as one
  if (live.empty() || what == 5) {
    what = 5;
    if (what & 1) expect_report([&] { hm_malloc_usable_size(local); }, {"malloc_usable_size of invalid pointer"});
    else expect_report([&] { hm_free(local); }, {"invalid free"});
    return;
  }
  size_t i = in.u16() % live.size();
  const Blk b = live[i];
  auto* p = static_cast<char*>(b.p);
  bool large = hm::page_of(reinterpret_cast<uintptr_t>(p)) == nullptr;
  switch (what) {
    case 0:  // inside the block (16 bytes in: no other block's start)
      // In checked mode the free of a small block's start + 16 reads as a redzoned block whose
      // head is gone, when the block carries none (aligned): a heap underflow.
      if (b.usable >= 32) expect_report([&] { hm_free(p + 16); }, {"interior free", hm::g_redzones && !large ? "heap underflow" : "interior free"});
      break;
    case 1:  // off the alignment
      expect_report([&] { hm_free(p + 1); }, {large ? "interior free" : "misaligned free"});
      break;
    case 2:
      if (b.usable >= 32) expect_report([&] { hm_malloc_usable_size(p + 16); }, {"interior free"});
      break;
    case 6: case 7: {  // written past the end, or before the start
      bool red = hm::g_redzones && (large || b.align == 16);  // small aligned blocks carry none
      if (what == 6 && !red) break;
      if (what == 7 && !red && !large) break;
      // Checked mode's usable size is the size wrapped (pvalloc's is rounded up to a page, a
      // request of 0 wrapped as 1): the tail starts there.
      char* at = what == 6 ? p + b.usable : large ? p - 1 : p - hm::kRedHead;
      *at ^= 0x5a;
      expect_report([&] { hm_free(p); }, {what == 6 ? "heap overflow" : "heap underflow"});
      *at ^= 0x5a;
      break;
    }
    default:  // a large block freed twice: its header says freed, or its mapping is gone
      if (!large) break;
      check_block(b);
      hm_free(p);
      live.erase(live.begin() + static_cast<long>(i));
      expect_report([&] { hm_malloc_usable_size(p); }, {"double free", "malloc_usable_size of invalid pointer"});
      expect_report([&] { hm_free(p); }, {"double free", "invalid free"});
      break;
  }
  if (what < 3 || what > 5) check_block(b);  // untouched or restored, still live
}

// Once per process: a child forked while the helper thread lives allocates and frees small and
// large blocks and exits cleanly (the allocator's fork handlers leave no lock held in it).
void check_fork_once() {
  static bool done = false;
  if (done) return;
  done = true;
  pid_t pid = fork();
  HM_FUZZ_CHECK(pid >= 0);
  if (pid == 0) {
    void* a = hm_malloc(100);
    void* b = hm_malloc(1 << 20);
    hm_free(a), hm_free(b);
    _exit(a && b ? 0 : 1);
  }
  int st = 0;
  HM_FUZZ_CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  anchor_segments(4);
  // One input in four runs in checked mode: the redzones that HAKMEM_CHECK=2 turns on at start-up
  // (front_init, run by the first call) in a build with the check hooks (the fuzz build; the
  // malloc fast lane of one without them never wraps), switched here since no block lives from
  // one input to the next.
  static const bool can_wrap = (hm_free(hm_malloc(1)), hm::redzones_supported());
  hm::g_redzones = can_wrap && size % 4 == 3;
  std::vector<Blk> live;
  static Crew helper(1, true);  // takes turns with this thread
  check_fork_once();
  Cadence cadence;
  size_t turn = 0;  // the walk's next older blocks
  bool helped = false;
  bool reported = false;
  while (in.more() && live.size() < 256) {
    uint8_t op = in.u8();
    uint8_t seed = in.u8();
    errno = 0;
    switch (op % 12) {
      case 0: case 1: {
        size_t n = pick_size(in);
        adopt(live, hm_malloc(n), n, 16, seed);
        break;
      }
      case 2: {
        size_t k = in.u8() % 64, each = pick_size(in) % 9000;  // up to 567,000 bytes: small and large
        size_t total;
        void* p = hm_calloc(k, each);
        if (__builtin_mul_overflow(k, each, &total)) {
          HM_FUZZ_CHECK(p == nullptr && errno == ENOMEM);
          break;
        }
        if (p) HM_FUZZ_CHECK(zero_ok(p, total));
        adopt(live, p, total, 16, seed);
        break;
      }
      case 3: case 4: {  // realloc
        if (live.empty()) break;
        size_t i = in.u16() % live.size();
        size_t n = pick_size(in);
        Blk b = live[i];
        void* q = op & 128 ? hm_reallocarray(b.p, n, 1) : hm_realloc(b.p, n);  // the same contract
        if (n == 0) {
          HM_FUZZ_CHECK(q == nullptr);
          live.erase(live.begin() + static_cast<long>(i));
        } else if (!q) {
          HM_FUZZ_CHECK(errno == ENOMEM);
          check_block(b);  // the old block is untouched
        } else {
          HM_FUZZ_CHECK(check(q, std::min(n, b.size), b.seed, b.size));
          live.erase(live.begin() + static_cast<long>(i));
          adopt(live, q, n, 16, seed);
        }
        break;
      }
      case 5: {  // aligned families
        size_t align = size_t{1} << (in.u8() % 24);
        size_t n = pick_size(in);
        uint8_t how = in.u8() % 5;
        void* p = nullptr;
        if (how == 3) {  // valloc: page aligned
          p = hm_valloc(n);
          align = 4096;
        } else if (how == 4) {  // pvalloc: page aligned, size rounded up to pages
          p = hm_pvalloc(n);
          align = 4096;
          if (p) HM_FUZZ_CHECK(hm_malloc_usable_size(p) >= ((n + 4095) & ~size_t{4095}));
        } else if (how == 0) {
          p = hm_aligned_alloc(align, n);
        } else if (how == 1) {
          int rc = hm_posix_memalign(&p, align, n);
          if (align < sizeof(void*)) {
            HM_FUZZ_CHECK(rc == EINVAL && p == nullptr);
            break;
          }
          HM_FUZZ_CHECK(rc == 0 ? p != nullptr : (rc == ENOMEM && p == nullptr));
          if (rc) errno = ENOMEM;
        } else {
          p = hm_memalign(align, n);
        }
        adopt(live, p, n, align, seed);
        break;
      }
      case 6: case 7: {  // free
        if (live.empty()) break;
        size_t i = in.u16() % live.size();
        check_block(live[i]);
        uint8_t how = in.u8() % 3;
        if (how == 0) hm_free(live[i].p);
        else if (how == 1) hm_free_sized(live[i].p, live[i].size);
        else hm_free_aligned(live[i].p, live[i].align);
        live.erase(live.begin() + static_cast<long>(i));
        break;
      }
      case 8: {  // cross-thread free of a run of blocks
        if (live.empty()) break;
        size_t i = in.u16() % live.size(), k = std::min<size_t>(1 + in.u8() % 16, live.size() - i);
        std::vector<void*> moved;
        for (size_t j = i; j < i + k; ++j) check_block(live[j]), moved.push_back(live[j].p);
        live.erase(live.begin() + static_cast<long>(i), live.begin() + static_cast<long>(i + k));
        helper.run(1, [&](unsigned) {
          for (void* p : moved) hm_free(p);
        });
        helped = true;
        break;
      }
      case 9:
        if (op & 64) HM_FUZZ_CHECK(hm_trim(seed) <= 1);
        else hm_thread_flush();
        break;
      case 10: {  // bad alignments: EINVAL without touching errno or *p
        if (op & 128) {  // or a misuse: reported once per input (a report costs as much as an input)
          if (!reported) misuse(live, in), reported = true;
          break;
        }
        void* p = reinterpret_cast<void*>(1);
        size_t align = 8 * (3 + 2 * (in.u8() % 50));
        errno = 4242;
        HM_FUZZ_CHECK(hm_posix_memalign(&p, align, 16) == EINVAL);
        HM_FUZZ_CHECK(errno == 4242 && p == reinterpret_cast<void*>(1));
        errno = 0;
        HM_FUZZ_CHECK(hm_aligned_alloc(SIZE_MAX / 2 + 2 + in.u8(), 16) == nullptr && errno == EINVAL);
        break;
      }
      default: {  // overflowing array requests
        size_t a = in.u64() | (size_t{1} << 40), b = (in.u32() | 1u) << 24;
        HM_FUZZ_CHECK(hm_calloc(a, b) == nullptr && errno == ENOMEM);
        errno = 0;
        HM_FUZZ_CHECK(hm_reallocarray(nullptr, a, b) == nullptr && errno == ENOMEM);
        break;
      }
    }
    if (cadence.due()) check_all(live, &turn, false);
  }
  check_all(live, &turn, true);
  for (const Blk& b : live) hm_free(b.p);
  if (helped) helper.run(1, [](unsigned) { hm::tcache_thread_exit(hm::tcache_get()); });
  return 0;
}
