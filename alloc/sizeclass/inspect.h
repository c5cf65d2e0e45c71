// sizeclass box inspection header: what its tests see beyond sizeclass.h -- the mapping by 16-byte
// steps to 1 KiB and eight or four classes per doubling above, the tightest class of every
// request, that the coarser mappings round up from.
#pragma once

#include "sizeclass/sizeclass.h"

namespace hm::sizeclass_detail {
constexpr unsigned step_class(size_t n);  // defined in sizeclass.h
}  // namespace hm::sizeclass_detail
