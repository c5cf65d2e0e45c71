// transfer box inspection header: what its checker (invariants/transfer_check.cc), tests and fuzz
// harness see beyond transfer.h -- the batches themselves.
#pragma once

#include "transfer/transfer.h"

namespace hm {

// Test seam: the i-th batch of class cls (oldest first), nullptr past the last.
TransferBatch* transfer_batch_for_test(unsigned cls, unsigned i);
// Test seam: every class's take count and idle mark (transfer_take_idle) back to 0.
void transfer_idle_reset_for_test();

}  // namespace hm
