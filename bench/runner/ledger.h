// The benchmark ledger (docs/ledger.md): entry records, their JSON form (one
// object per line of bench/ledger/ledger.jsonl), validation, reading and
// appending, and the LEDGER.md summary rendered from the whole ledger.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/ledger_schema.h"
#include "runner/env.h"
#include "runner/stats.h"

namespace hmb {

// Field names, kinds, defaults and the confidence rule: tools/common/ledger_schema.h, shared with the
// review kit's reader.
inline constexpr int kLedgerSchema = hm_ledger::kSchema;

// Fields common to every entry.
struct Provenance {
  std::string date;  // UTC ISO 8601, e.g. 2026-11-25T21:00:00Z
  std::string commit;
  bool dirty = false;
  std::string preset;
  std::string binary_sha256;
  std::string cpu;
  int cores = 0;
  double line_rtt_ns = 0;  // a cache line's round trip between two CPUs (0: not measured)
  std::string command;
  EnvMap env;  // the settings common to every child (HMB_*); recorded in portable form, without PATH
  std::string profile;
  std::string metric = "wall";  // clock of the ops/s figures: "wall" or "cpu"
};

struct AbSide {
  EnvMap env;  // the variant's gates
  std::vector<double> runs;  // ops/s per run
  double median = 0.0;
};

struct GuardResult {
  std::string profile;
  double ratio_median = 0.0;
  bool ok = true;
};

struct AbEntry {
  Provenance prov;
  std::string box, gate;
  AbSide a, b;
  std::vector<double> ratios;
  double ratio_median = 0.0;
  Spread spread;
  Thresholds thresholds;
  Verdict verdict = Verdict::Neutral;
  std::vector<GuardResult> guards;
  // The line round trip (line_round_trip_ns) probed before each pair's A run and after its B run
  // (empty: not probed; older entries); steady_pairs reads them.
  std::vector<std::array<double, 2>> pair_rtt_ns;
  // Confidence of the verdict: every per-pair ratio lies on the verdict's side of its threshold (GO: all
  // >= 1 + go; NO-GO of the main profile: all <= 1 + nogo; NEUTRAL: all strictly between), so no single pair
  // contradicts it. A NO-GO that only a guard caused is confident when that guard's median is itself at or
  // below 1 + nogo. Recorded with the number of pairs; `reason` names what made a NO-GO.
  bool confident = false;
  std::string reason;  // NO-GO: "main profile" or "guard <profile>"; else empty
  // The review answer (hakmem review plan) and its plan phase this run belongs to; empty when none.
  std::string answer, phase;
};

struct SbsRow {
  std::string allocator;
  std::string mode;  // "inprocess" | "preload"
  double ops_per_s = 0.0, ns_per_op = 0.0;
  double peak_rss_kb = 0.0, final_rss_kb = 0.0;
  std::optional<double> instr_per_op;
  std::optional<double> sys_s, minor_faults;  // medians of the timed region's; absent in older entries
  // Median process CPU time (every thread's, user and system) per op, whichever clock ops/s uses:
  // beside a wall-clock ns/op it shows a multi-threaded run's idle time. Absent in older entries.
  std::optional<double> cpu_ns_per_op;
  // The median ops/s of the runs made wholly in the sitting's closest machine state (steady_runs:
  // probes before and after each run) and how many there were; absent when none (or older entries).
  std::optional<double> steady_ops_per_s;
  int steady_runs = 0;
};

struct SbsEntry {
  Provenance prov;
  int runs = 0;
  std::vector<SbsRow> results;
};

// kind "check-cost" (hakmem-programs --check-levels): real programs under the release drop-in
// and the debug drop-in at each HAKMEM_CHECK level, medians and ratios to release.
struct CheckCostRow {
  std::string variant;  // "release", "check0", "check1", "check2"
  EnvMap gates;         // HAKMEM_CHECK of the debug variants
  double wall_s = 0, cpu_s = 0, peak_rss_kb = 0;
  double wall_x_release = 0, cpu_x_release = 0;  // 0: no release row to compare with
  int runs = 0;
  bool output_matches = true;  // every run's output equal to glibc's
};
struct CheckCostProgram {
  std::string program;
  std::vector<CheckCostRow> rows;
};
struct CheckCostEntry {
  Provenance prov;
  int runs = 0;
  std::vector<CheckCostProgram> programs;
};

// kind "programs" (hakmem-programs): real programs run whole under hakmem (and its gated rows) and
// every peer, one row per (program, allocator).
// The medians over the runs of one (program, allocator).
struct ProgramRow {
  std::string program, allocator;
  double wall_s = 0, cpu_s = 0, sys_s = 0, peak_rss_kb = 0, minor_faults = 0;
  int runs = 0;
  bool output_matches = true;  // every run's output equal to the reference's (glibc's)
  double instructions = 0;     // --callgrind: instructions of one run, children included (0: not counted)
  // --syscalls: the memory calls of one run (strace's %memory class: mmap, munmap, mremap, madvise,
  // brk, mprotect, ...), children included, by name (empty: not counted).
  std::map<std::string, double> memory_calls;
  // The medians of the runs made wholly in the sitting's closest machine state (steady_runs over every
  // row's runs of the program) and how many there were (0: none, or not probed).
  double steady_wall_s = 0, steady_cpu_s = 0;
  int steady_runs = 0;
  // The fastest and slowest run's wall time (0: not recorded; older entries): how far a median of few
  // runs can be moved by where the scheduler put a threaded program's threads.
  double wall_min_s = 0, wall_max_s = 0;
};
struct ProgramsEntry {
  Provenance prov;
  int runs = 0;
  std::vector<ProgramRow> rows;  // grouped by program, in the sitting's order
};

// Fills ratios, ratio_median, spread, verdict (guards included), confidence and reason from a, b,
// thresholds and guards; a.median / b.median from their runs.
void finish_ab(AbEntry& e);

nlohmann::json to_json(const AbEntry& e);
nlohmann::json to_json(const SbsEntry& e);
nlohmann::json to_json(const CheckCostEntry& e);
nlohmann::json to_json(const ProgramsEntry& e);
// Throw std::runtime_error naming the first missing or mistyped field.
AbEntry ab_from_json(const nlohmann::json& j);
SbsEntry sbs_from_json(const nlohmann::json& j);
CheckCostEntry check_cost_from_json(const nlohmann::json& j);
ProgramsEntry programs_from_json(const nlohmann::json& j);

// Problems of one ledger entry against the schema (empty when valid).
std::vector<std::string> validate_entry(const nlohmann::json& j);

// Reads every entry; throws std::runtime_error naming the line of a malformed one.
// A missing file is an empty ledger.
std::vector<nlohmann::json> read_ledger(const std::string& path);
// Appends one entry as a single line (creating the file and its directory), in portable form; entries
// already in the file that are not portable are migrated first.
void append_ledger(const std::string& path, const nlohmann::json& entry);

// Portable provenance (no absolute path, no PATH, nothing of one machine's environment): a command's
// absolute paths become repo-relative from their `build/` folder on, else their file name; an environment
// keeps only its HAKMEM_* and HMB_* settings.
std::string portable_command(const std::string& command);
EnvMap portable_env(const EnvMap& env);
// Rewrites one entry's command and env in portable form; true when something changed.
bool make_portable(nlohmann::json& entry);
// Rewrites every entry of the ledger file in portable form (atomically, through a temporary file);
// returns the number of entries changed (0: the file is left untouched).
int migrate_ledger(const std::string& path);

// The LEDGER.md summary of the whole ledger (deterministic: same ledger, same text).
std::string render_ledger_md(const std::vector<nlohmann::json>& entries);

}  // namespace hmb
