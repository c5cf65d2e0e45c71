// config box inspection header: what tests and harnesses outside alloc/ may see beyond config.h.
// Tests that switch a gate on a quiet process write the gates in force directly.
#pragma once

#include "config/config.h"

namespace hm::config_detail {
extern Config g_config;  // the gates in force (config.h reads them through config())
}  // namespace hm::config_detail
