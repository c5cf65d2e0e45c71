// sizeclass box inspection header: what its tests see beyond sizeclass.h -- the mapping by 16-byte
// steps and four classes per doubling that the table starts from (and keeps above 1 KiB).
#pragma once

#include "sizeclass/sizeclass.h"

namespace hm::sizeclass_detail {
constexpr unsigned step_class(size_t n);  // defined in sizeclass.h
}  // namespace hm::sizeclass_detail
