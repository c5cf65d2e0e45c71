// Pieces shared by hakmem-sbs and hakmem-ab: the stray-gate refusal, the
// provenance of a ledger entry, and regenerating LEDGER.md beside the ledger.
#pragma once

#include <string>
#include <vector>

#include "runner/child.h"
#include "runner/ledger.h"

namespace hmb {

// Prints the refusal and returns false when HAKMEM_* variables are exported.
bool refuse_stray_gates(const char* tool, const EnvMap& parent);

// Date, git state, preset, sha256 of the benchmark binary, machine, command
// line (argv) and the environment common to every child.
Provenance make_provenance(const ChildContext& ctx, const std::vector<std::string>& argv, const EnvMap& common_env,
                           const std::string& profile);

// Rewrites LEDGER.md next to the ledger from the whole ledger; returns its path.
std::string regenerate_ledger_md(const std::string& ledger_path);

// The HMB_* settings of --iters/--threads (0 = leave unset).
EnvMap bench_settings(unsigned long iters, unsigned threads);

}  // namespace hmb
