// The review kit's view of the project's live state: the box registry (the linked tables, or a JSON dump),
// the benchmark ledger (JSON lines, schema in tools/common/ledger_schema.h), a topic file, git state and
// callgrind hotspots. Plain data, loaded once per command.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hm::review {

struct Box {
  std::string name;
  int layer = 0;
  std::string job;
  std::vector<std::string> boundary, deps, gates, invariants;
};

struct Gate {
  std::string name, box, type, def, description;
  long min = 0, max = 0;
};

struct Invariant {
  std::string id, box, cost, text;
};

struct ErrorKind {
  std::string kind, box, invariant;
};

struct Registry {
  std::vector<Box> boxes;  // registry order (which is also the graph's order)
  std::vector<Gate> gates;
  std::vector<Invariant> invariants;
  std::vector<ErrorKind> errors;
  std::string source;  // how it was obtained, for the report header

  const Box* box(const std::string& name) const;
  const Gate* gate(const std::string& name) const;
  int max_layer() const;
};

// The registry linked into the kit (alloc/registry/*.def), read from its tables.
Registry linked_registry(const std::string& source);
// A registry file of another tree or a fixture (`hakmem registry --json`). Throws std::runtime_error with
// a readable message on malformed input.
Registry parse_registry(const std::string& json_text, const std::string& source);

struct SbsResult {
  std::string allocator, mode;
  double ops_per_s = 0, ns_per_op = 0;
  std::optional<double> peak_rss_kb, instr_per_op;
};

struct Guard {
  std::string profile;
  std::optional<double> ratio_median;
  bool ok = true;
};

struct LedgerEntry {
  int line = 0;  // 1-based line in the ledger file: the entry's citation
  std::string kind, date, commit, preset, profile, command, metric = "wall";
  bool dirty = false;
  // kind "sbs"
  int runs = 0;
  std::vector<SbsResult> results;
  // kind "ab"
  std::string box, gate, a_env, b_env, verdict;
  int a_runs = 0, b_runs = 0;
  std::vector<double> ratios;  // per pair, B/A
  std::optional<double> ratio_median, spread_min, spread_max, go_pct, nogo_pct;
  std::vector<Guard> guards;
  // The verdict's confidence and, for a NO-GO, its reason, as recorded (docs/ledger.md) or, for entries
  // older than those fields, judged from the entry's own figures by the same rule.
  bool confident = false;
  std::string reason;
  std::string answer, phase;  // the review answer and plan phase of the run (hakmem review plan), if any
};

struct Ledger {
  std::string display;  // repo-relative path, used in citations
  bool present = false;
  std::vector<LedgerEntry> entries;  // file order (append order, so the last is the latest)
  std::vector<std::string> problems;  // "line N: ..." for lines that could not be read

  const LedgerEntry* latest_sbs(const std::string& profile) const;  // "" = any profile
  std::vector<const LedgerEntry*> recent_ab(size_t n) const;       // newest first
  const LedgerEntry* latest_ab() const;
};

Ledger load_ledger(const std::string& path, const std::string& display);
Ledger parse_ledger(const std::string& text, const std::string& display);

struct Candidate {
  std::string id, title, text;
};

struct ExtraQuestion {
  std::string title, text;
  std::vector<std::string> format;
};

struct ReadingItem {
  std::string path, why;
};

struct Topic {
  std::string name, title, profile = "mixed", reference = "mimalloc";
  std::vector<std::string> purpose, boxes, builtins;
  std::vector<Candidate> candidates;
  std::vector<ExtraQuestion> questions;
  std::vector<ReadingItem> reading;
  std::string display;  // repo-relative path of the topic file
};

Topic parse_topic(const std::string& json_text, const std::string& display);

struct GitState {
  std::string commit = "(none)", branch = "(none)";
  bool dirty = false;
};

// Runs git in `repo`; a tree without commits gives commit "(none)". Dirty by the one rule of
// tools/common/git_state.h (tracked changes or untracked files that are not ignored; unknown counts as dirty).
GitState read_git_state(const std::string& repo);

// Instruction counts per box from `callgrind_annotate` output: every function line whose source path contains
// alloc/<box>/ counts for that box; a line without a source path (a build without debug information) counts
// for the box whose registry boundary lists its function, so a box's inlined code counts for the boundary
// function it is inlined into; the rest is "outside alloc/".
struct Hotspots {
  std::string display;
  std::string source;  // how the profile was made (the command, the cache), for the questionnaire
  double total = 0;                          // PROGRAM TOTALS (or the sum of the lines when absent)
  std::vector<std::pair<std::string, double>> per_box;  // sorted by Ir, largest first
  double outside = 0;
};
Hotspots parse_callgrind(const std::string& text, const Registry& reg, const std::string& display);

// Profiles the A/B and side-by-side runners accept, read from the bench tree: bench/profiles.txt (one per
// line) when present, else the runners' all_profiles() list in bench/runner/benchio.cc, else a fixed copy.
std::vector<std::string> known_profiles(const std::string& repo);

// The A/B policy (bench/ledger/policy.json): runs and thresholds every plan and etiquette quotes, the least
// runs a plan may ask for, and the smallest threshold any A/B may use whatever the measured noise.
struct Policy {
  int runs = 10, min_runs = 5;
  double go_pct = 1.0, nogo_pct = -1.0, guard_pct = -1.0, min_threshold_pct = 0.5;
  std::string source = "the review kit's built-in policy";  // where the figures come from
};
// Throws std::runtime_error on a malformed file; a missing file gives the built-in policy.
Policy load_policy(const std::string& path, const std::string& display);

// The measured noise of one profile and metric: the median over the ledger's A/B entries of the half-width
// of their per-pair ratio spread, in percent.
struct Noise {
  double pct = 0;
  std::vector<int> lines;  // the entries it comes from
};
std::optional<Noise> measured_noise(const Ledger& ledger, const std::string& profile, const std::string& metric);


std::string read_file(const std::string& path);  // throws std::runtime_error when unreadable
void write_file(const std::string& path, const std::string& text);

}  // namespace hm::review
