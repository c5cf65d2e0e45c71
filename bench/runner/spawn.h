// Process side of the runners: spawning children (tools/common/spawn.h, output
// captured), querying git and the machine, locating siblings.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/self_dir.h"
#include "runner/env.h"

namespace hmb {

struct ProcResult {
  int status = -1;  // exit code, or 128 + signal
  std::string out, err;
  // The child's (and its waited-for descendants') usage from wait4: wall clock from spawn to
  // exit, user and system CPU seconds, peak resident KiB, minor page faults.
  double wall_s = 0, user_s = 0, sys_s = 0, maxrss_kb = 0, minor_faults = 0;
};
// Runs argv[0] (absolute path, or looked up in env's PATH) with exactly `env`
// (inheriting the runner's environment when `env` is null), stdin from /dev/null,
// waits, returns its output.
// Throws std::runtime_error when it cannot be started.
ProcResult run_process(const std::vector<std::string>& argv, const EnvMap* env);

// The directory of the running executable.
using hm_tools::self_dir;  // the directory of the running executable
bool file_exists(const std::string& path);
std::string read_file(const std::string& path);  // "" when unreadable
void write_file(const std::string& path, const std::string& text);  // throws on failure; creates the directory

struct GitState {
  std::string commit = "none";  // "none" outside git or before the first commit
  bool dirty = false;
};
// Dirty by the one rule of tools/common/git_state.h (tracked changes or untracked files that are not
// ignored; unknown counts as dirty).
GitState git_state(const std::string& source_dir);
// The state this process first read of source_dir, read once: a sitting that appends to the
// ledger in the tree records every entry as the tree was when it started.
GitState sitting_git_state(const std::string& source_dir);

struct Machine {
  std::string cpu;
  int cores = 0;
  double line_rtt_ns = 0;  // line_round_trip_ns() as the entry was made
};
Machine machine_info();
// The round trip of one cache line between the first two CPUs of this process's affinity set, in
// ns: two pinned threads hand a counter back and forth `trips` times, or for 40 ms where the
// machine is busy (the median of three goes).
// Hand-off profiles move every block's lines that way, and the same VM's figure has been seen to
// change from one sitting to the next, so a ledger entry records it beside the figures. 0 with
// fewer than two CPUs.
double line_round_trip_ns(unsigned trips = 20000);
// The trips of the probes the runners make around each run (a few milliseconds at most).
inline constexpr unsigned kRunProbeTrips = 2000;

std::string utc_now_iso();    // 2026-11-25T21:00:00Z
std::string utc_now_stamp();  // 20261125T210000Z (for file names)

}  // namespace hmb
