// libhmb-classes.so (bench/programs/classes_shim.cc): under it, glibc hands out blocks of at
// least hakmem's class size for requests of 257 bytes to the largest class, through malloc,
// calloc and realloc alike, and leaves smaller and larger requests as glibc sizes them;
// HMB_CLASSES_MIN and HMB_CLASSES_MAX narrow that range.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <vector>

#include "config/config.h"
#include "runner/spawn.h"
#include "sizeclass/sizeclass.h"

namespace hmb {
namespace {

// The class mappings of the gates' defaults, as the shim sets them up.
void init_default_classes() {
  const hm::Config defaults;
  hm::sizeclass_init(defaults.coarse_classes != 0, static_cast<unsigned>(defaults.fine_classes));
}

// size -> usable sizes of its malloc, calloc and realloc, as the child printed them.
std::map<size_t, std::vector<size_t>> usable(const std::string& preload, const EnvMap& extra = {}) {
  EnvMap env = extra;
  env["PATH"] = kDefaultPath;
  if (!preload.empty()) env["LD_PRELOAD"] = preload;
  ProcResult r = run_process({HMB_USABLE_SIZES, "200", "300", "1040", "4368", "20000", "131072", "200000"}, &env);
  EXPECT_EQ(r.status, 0) << r.err;
  std::map<size_t, std::vector<size_t>> out;
  std::istringstream in(r.out);
  size_t n, m, c, re;
  while (in >> n >> m >> c >> re) out[n] = {m, c, re};
  EXPECT_EQ(out.size(), 7u) << r.out;
  return out;
}

TEST(ClassesShim, GlibcBlocksTakeHakmemsClassSizes) {
  auto plain = usable(""), shim = usable(HMB_CLASSES_SO);
  init_default_classes();
  for (size_t n : {300, 1040, 4368, 20000}) {
    size_t cls = hm::class_to_size(hm::size_to_class(n));
    ASSERT_GT(cls, n);
    for (int k = 0; k < 3; ++k) {
      EXPECT_LT(plain[n][k], cls) << n << " without the shim, call " << k;
      EXPECT_GE(shim[n][k], cls) << n << " under the shim, call " << k;
      EXPECT_LT(shim[n][k], cls + 32) << n << " under the shim, call " << k;
    }
  }
  for (size_t n : {200, 131072, 200000})  // not rounded: 256 bytes and less, above the largest class
    EXPECT_EQ(shim[n], plain[n]) << n;
}

TEST(ClassesShim, TheRangeNarrows) {
  auto plain = usable(""), narrow = usable(HMB_CLASSES_SO, {{"HMB_CLASSES_MIN", "1000"}, {"HMB_CLASSES_MAX", "5000"}});
  init_default_classes();
  for (size_t n : {300, 20000}) EXPECT_EQ(narrow[n], plain[n]) << n;
  for (size_t n : {1040, 4368}) EXPECT_GE(narrow[n][0], hm::class_to_size(hm::size_to_class(n))) << n;
}

}  // namespace
}  // namespace hmb
