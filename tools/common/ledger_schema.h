// The benchmark ledger's schema (docs/ledger.md), defined once for its writer (bench/runner/ledger.cc,
// used by hakmem ab, hakmem sbs, hakmem ledger) and its reader (the review kit, review/src/model.cc):
// the schema version, the entry kinds, every field name, the defaults of fields older entries lack, and
// the confidence rule of an A/B verdict. One JSON object per line of bench/ledger/ledger.jsonl.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hm_ledger {

inline constexpr int kSchema = 1;

namespace kind {
inline constexpr const char* kAb = "ab";    // same-binary A/B of one gate (hakmem ab)
inline constexpr const char* kSbs = "sbs";  // allocators side by side (hakmem sbs)
inline constexpr const char* kCheckCost = "check-cost";  // programs under each check level (hakmem-programs --check-levels)
inline constexpr const char* kPrograms = "programs";     // real programs under every allocator (hakmem-programs)
}  // namespace kind

// Field names. Common to every entry:
namespace key {
inline constexpr const char *kSchema = "schema", *kKind = "kind", *kDate = "date", *kCommit = "commit",
                            *kDirty = "dirty", *kPreset = "preset", *kBinarySha256 = "binary_sha256",
                            *kMachine = "machine", *kCpu = "cpu", *kCores = "cores", *kLineRttNs = "line_rtt_ns",
                            *kCommand = "command",
                            *kEnv = "env", *kProfile = "profile", *kMetric = "metric";
// kind "ab": the sides "a" and "b" each hold env, runs, median.
inline constexpr const char *kBox = "box", *kGate = "gate", *kA = "a", *kB = "b", *kRuns = "runs",
                            *kMedian = "median", *kRatios = "ratios", *kRatioMedian = "ratio_median",
                            *kSpread = "spread", *kThresholds = "thresholds", *kGoPct = "go_pct",
                            *kNogoPct = "nogo_pct", *kVerdict = "verdict", *kPairs = "pairs",
                            *kConfident = "confident", *kReason = "reason", *kAnswer = "answer",
                            *kPhase = "phase", *kGuards = "guards", *kOk = "ok", *kPairRttNs = "pair_rtt_ns";
// kind "sbs": runs, and results[] of allocator, mode, figures.
inline constexpr const char *kResults = "results", *kAllocator = "allocator", *kMode = "mode",
                            *kOpsPerS = "ops_per_s", *kNsPerOp = "ns_per_op", *kPeakRssKb = "peak_rss_kb",
                            *kFinalRssKb = "final_rss_kb", *kInstrPerOp = "instr_per_op", *kSysS = "sys_s",
                            *kMinorFaults = "minor_faults", *kCpuNsPerOp = "cpu_ns_per_op",
                            *kSteadyOpsPerS = "steady_ops_per_s", *kSteadyRuns = "steady_runs";
}  // namespace key

// Defaults of fields that older entries do not have.
inline constexpr const char* kDefaultMetric = "wall";
inline constexpr double kDefaultLineRttNs = 0;  // machine.line_rtt_ns: not measured
inline constexpr double kDefaultGoPct = 1.0, kDefaultNogoPct = -1.0;

// The confidence of an A/B verdict: every per-pair ratio lies on the verdict's side of its threshold
// (GO: all >= 1 + go; NO-GO of the main profile: all <= 1 + nogo; NEUTRAL: all strictly between). A NO-GO
// that only a failed guard caused is confident when that guard's median is itself at or below 1 + nogo;
// `reason` names what made a NO-GO ("main profile" or "guard <profile>").
struct GuardFigure {
  std::string profile;
  std::optional<double> ratio_median;
  bool ok = true;
};
struct Confidence {
  bool confident = false;
  std::string reason;
};
inline Confidence judge_confidence(std::string_view verdict, double ratio_median, double spread_min,
                                   double spread_max, double go_pct, double nogo_pct,
                                   const std::vector<GuardFigure>& guards) {
  constexpr double kEps = 1e-9;  // as the verdict's own comparison (bench/runner/stats.cc)
  double go = 1.0 + go_pct / 100.0, nogo = 1.0 + nogo_pct / 100.0;
  bool main_nogo = (ratio_median - 1.0) * 100.0 <= nogo_pct + kEps;
  Confidence c;
  if (verdict == "GO") {
    c.confident = spread_min >= go;
  } else if (verdict == "NEUTRAL") {
    c.confident = spread_min > nogo && spread_max < go;
  } else if (verdict == "NO-GO" && main_nogo) {
    c.reason = "main profile";
    c.confident = spread_max <= nogo;
  } else if (verdict == "NO-GO") {
    for (const auto& g : guards)
      if (!g.ok) {
        if (c.reason.empty()) c.reason = "guard " + g.profile;
        c.confident = c.confident || (g.ratio_median && *g.ratio_median <= nogo);
      }
  }
  return c;
}

}  // namespace hm_ledger
