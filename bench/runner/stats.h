// Statistics and verdicts of the runners: medians, per-pair ratios, spread,
// the GO / NO-GO / NEUTRAL rule and guard checks. Pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace hmb {

// Median of a non-empty sample (mean of the two middle values when even).
// Throws std::invalid_argument on an empty sample.
double median(std::vector<double> v);

// Per-pair ratios b[i] / a[i]. Throws std::invalid_argument when the sizes
// differ, either side is empty or an a[i] is not positive.
std::vector<double> pair_ratios(const std::vector<double>& a, const std::vector<double>& b);

struct Spread {
  double min = 0.0, max = 0.0;
};
Spread spread(const std::vector<double>& v);  // throws on empty

// Runs (or A/B pairs) in a sitting's closest machine state: each has the line round trip probed
// before and after it (line_round_trip_ns), and is steady when both probes lie within kSteadyRtt
// of the sitting's lower-quartile probe (not its lowest: one lucky probe would shut out the rest
// of its state), so it ran wholly in the closest state the sitting often saw. A machine that
// never flips has every run steady; a run without both probes (0) never is.
inline constexpr double kSteadyRtt = 2.0;
struct SteadyRuns {
  double reference_rtt_ns = 0;  // the lower-quartile probe (0: none)
  std::vector<bool> steady;     // one per run
};
SteadyRuns steady_runs(const std::vector<std::array<double, 2>>& rtt_ns);
// steady_runs over several rows' runs judged together (every allocator's runs of one sitting), the
// flags given back per row, each as long as that row's probes.
std::vector<std::vector<bool>> steady_runs_by_row(const std::vector<std::vector<std::array<double, 2>>>& rtt_ns);
// The steady pairs of an A/B run: n, how many; ratio_median, the median of their ratios (0 when
// none). Throws std::invalid_argument when the sizes differ.
struct SteadyPairs {
  size_t n = 0;
  double reference_rtt_ns = 0, ratio_median = 0;  // the lower-quartile probe
};
SteadyPairs steady_pairs(const std::vector<double>& ratios, const std::vector<std::array<double, 2>>& rtt_ns);

// A ratio as a signed percentage: 1.012 -> +1.2.
double ratio_pct(double ratio);

struct Thresholds {
  double go_pct = 1.0;     // GO at ratio >= 1 + go_pct/100
  double nogo_pct = -1.0;  // NO-GO at ratio <= 1 + nogo_pct/100
};
// Throws std::invalid_argument unless nogo_pct < go_pct.
void check_thresholds(const Thresholds& t);

enum class Verdict { Go, NoGo, Neutral };
const char* to_string(Verdict v);
Verdict verdict_from_string(const std::string& s);  // throws on an unknown name

// The verdict for the median of the per-pair ratios. Boundaries are inclusive
// (exactly +go_pct is GO) with a 1e-9 tolerance for rounding.
Verdict verdict_for(double ratio_median, const Thresholds& t);

// A guard profile passes when it did not regress by more than -max_regress_pct
// (i.e. ratio_pct(ratio_median) >= max_regress_pct, e.g. -1.0).
bool guard_ok(double ratio_median, double max_regress_pct);

// The final verdict: any failed guard turns the main verdict into NO-GO.
Verdict with_guards(Verdict main, const std::vector<bool>& guards_ok);

}  // namespace hmb
