// hakmem-programs: real programs run whole under every allocator. The pure
// part: the programs, the per-run measures, their medians and the table.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runner/env.h"
#include "runner/ledger.h"
#include "runner/report.h"

namespace hmb {

// One program: its command line (paths relative to the source tree, the runner's
// working directory), extra environment and the file its output is compared
// through (empty: stdout).
struct Program {
  std::string name;
  std::vector<std::string> argv;
  EnvMap env;
  std::string output_file;
  std::string stands_for;
};

// sqlite (sqlite3 on bench/programs/workload.sql), python (python3 on
// bench/programs/workload.py), python-malloc (the same with PYTHONMALLOC=malloc: every
// object from malloc), python-threads (bench/programs/threads.py), gxx (g++ -O1 of
// bench/runner/stats.cc), lua (lua5.4 on bench/programs/workload.lua), bc (bc on
// bench/programs/factor.bc). `tmp` is a directory for the object file g++ writes.
std::vector<Program> default_programs(const std::string& tmp);
// The named subset, in the given order; throws std::invalid_argument naming an unknown one.
std::vector<Program> select_programs(const std::vector<Program>& all, const std::vector<std::string>& names);

// The programs run on the listed CPUs only (a taskset(1) list: "0", "0,1", "0-3"): each command
// prefixed by `taskset -c <cpus>`, whose affinity the program's threads and processes inherit. Takes
// the scheduler's placement of a program's threads out of its times. Throws std::invalid_argument
// on a list that is not one.
std::vector<Program> on_cpus(std::vector<Program> programs, const std::string& cpus);

// One run of one program under one allocator.
struct ProgramRun {
  double wall_s = 0, cpu_s = 0, sys_s = 0, peak_rss_kb = 0, minor_faults = 0;
  std::string output_sha256;  // of stdout, or of the output file
  // The line round trip (line_round_trip_ns) probed just before and just after the run (0: not probed).
  std::array<double, 2> rtt_ns{};
};

// Medians over the runs of one (program, allocator) row: ProgramRow (runner/ledger.h), the
// figures a kind "programs" ledger entry records.
// The sum of a row's memory calls (0: not counted).
double memory_call_total(const ProgramRow& r);
// `steady`: one flag per run (steady_runs over the program's sitting); empty: no steady figures.
ProgramRow summarize(const std::string& program, const std::string& allocator, const std::vector<ProgramRun>& runs,
                     const std::optional<std::string>& reference_sha256, const std::vector<bool>& steady = {});
// The steady flags of a program's sitting, one vector per row, each as long as that row's runs:
// steady_runs over every run's probes (a run without both is never steady).
std::vector<std::vector<bool>> steady_flags(const std::vector<std::vector<ProgramRun>>& rows);

// The probe row `glibc-classes`: glibc under libhmb-classes.so, hakmem's size classes with
// glibc's allocator (bench/programs/classes_shim.cc). Not a peer.
inline constexpr const char* kClassesRow = "glibc-classes";
// Whether a row's allocator is a peer: neither hakmem (any of its rows) nor the probe.
bool is_peer(const std::string& allocator);
// The name of hakmem's row under the given gates (--gates): "hakmem[TRANSFER_DEMOTE=1,...]",
// the same drop-in library with those HAKMEM_* variables set: a same-binary A/B on whole programs.
std::string gated_row(const EnvMap& gates);

// The table of one program's rows: medians, and wall and CPU time relative to the fastest
// peer and peak RSS relative to the leanest; with instructions counted, also those and their
// ratio to the fewest of a peer; with steady runs, their number and their median wall time
// relative to the fastest peer's over its own steady runs.
std::string format_programs_table(const std::vector<ProgramRow>& rows, TableStyle style = TableStyle::Text);

// The command line that counts a program's instructions: callgrind on it and every process it
// starts (g++ runs cc1plus and as), one output file per process under out_prefix.<pid>.
std::vector<std::string> callgrind_argv(const Program& p, const std::string& out_prefix);

// The command line that counts a program's memory calls: strace -f -c on it and every process it
// starts, the summary written to out_file.
std::vector<std::string> strace_argv(const Program& p, const std::string& out_file);
// The calls per system call of an `strace -c` summary. Throws std::invalid_argument on text
// with no summary table.
std::map<std::string, double> parse_strace_summary(const std::string& text);

// ---- --check-levels: what the debug build's checks cost on the same programs ----

// One variant: "release" (the release drop-in), "check0".."check2" (the debug drop-in at
// HAKMEM_CHECK=0..2) and "glibc" (nothing preloaded: the reference output).
struct CheckVariant {
  std::string name, preload;
  EnvMap gates;
};
std::vector<CheckVariant> check_variants(const std::string& release_so, const std::string& debug_so);

// A row's wall, CPU time and peak RSS over the release row's of the same rows (nullopt: no
// release row, or a zero time in it).
struct CheckRatios {
  double wall = 0, cpu = 0, rss = 0;
};
std::optional<CheckRatios> ratios_vs_release(const std::vector<ProgramRow>& rows, const ProgramRow& r);

// The table of one program's rows with the ratios to the release row.
std::string format_check_table(const std::vector<ProgramRow>& rows);

// One program's part of the ledger entry (kind "check-cost"): every row but glibc's, with its
// gates and ratios to release.
CheckCostProgram check_cost_program(const std::string& program, const std::vector<ProgramRow>& rows,
                                    const std::vector<CheckVariant>& variants);

}  // namespace hmb
