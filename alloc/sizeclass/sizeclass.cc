// sizeclass box: the tables of classes for requests up to kMaxSmall.
#include "sizeclass/sizeclass.h"

namespace hm {
namespace {

// From 1 to 2 KiB (the table) fine level 2 uses all sixteen classes, 1 every other (or 1), 0
// every fourth (or 3); from 2 to 8 KiB (the big table) levels 2 and 1 use all eight classes per
// doubling, 0 every other.
constexpr sizeclass_detail::ClassTable make_table(bool coarse, unsigned fine) {
  sizeclass_detail::ClassTable t{};
  unsigned above = fine ? 0 : 1;  // 2 to 8 KiB: level 0 every other class
  unsigned low = fine >= 2 ? 0 : fine == 1 ? 1 : 3;
  for (unsigned i = kFastClasses; i < kLaneSlots; ++i)
    t.of[i] = static_cast<uint8_t>(sizeclass_detail::step_class(size_t{16} * (i + 1)) | low);
  for (unsigned i = 0; i < kFastClasses; ++i) {
    size_t size = size_t{16} * (i + 1);
    size_t step = !coarse || size <= 256 ? 16 : size <= 512 ? 64 : 128;
    size_t up = (size + step - 1) / step * step;
    t.of[i] = static_cast<uint8_t>(up / 16 - 1);
  }
  for (unsigned i = kLaneMax / 256; i < kBigSlots; ++i) {
    size_t n = size_t{256} * (i + 1);  // the slot's largest size: every size of the slot has its class
    t.big[i] = static_cast<uint8_t>(sizeclass_detail::step_class(n) | (n <= kFineMax ? above : 0u));
  }
  return t;
}

}  // namespace

// Constant-initialised to every class: a malloc may come before sizeclass_init.
constinit sizeclass_detail::ClassTable sizeclass_detail::g_table = make_table(false, 2);

void sizeclass_init(bool coarse, unsigned fine) { sizeclass_detail::g_table = make_table(coarse, fine); }

}  // namespace hm
