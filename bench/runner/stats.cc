#include "runner/stats.h"

#include <algorithm>
#include <stdexcept>

namespace hmb {

namespace {
constexpr double kEps = 1e-9;
}

double median(std::vector<double> v) {
  if (v.empty()) throw std::invalid_argument("median of an empty sample");
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

SteadyRuns steady_runs(const std::vector<std::array<double, 2>>& rtt_ns) {
  SteadyRuns s;
  s.steady.assign(rtt_ns.size(), false);
  std::vector<double> probes;
  for (const auto& p : rtt_ns)
    for (double x : p)
      if (x > 0) probes.push_back(x);
  if (probes.empty()) return s;
  std::sort(probes.begin(), probes.end());
  s.reference_rtt_ns = probes[(probes.size() - 1) / 4];
  for (size_t i = 0; i < rtt_ns.size(); ++i) {
    auto [before, after] = rtt_ns[i];
    s.steady[i] = before > 0 && after > 0 && std::max(before, after) <= kSteadyRtt * s.reference_rtt_ns;
  }
  return s;
}

std::vector<std::vector<bool>> steady_runs_by_row(const std::vector<std::vector<std::array<double, 2>>>& rtt_ns) {
  std::vector<std::array<double, 2>> all;
  for (const auto& row : rtt_ns) all.insert(all.end(), row.begin(), row.end());
  SteadyRuns s = steady_runs(all);
  std::vector<std::vector<bool>> out;
  auto at = s.steady.begin();
  for (const auto& row : rtt_ns) {
    out.emplace_back(at, at + static_cast<std::ptrdiff_t>(row.size()));
    at += static_cast<std::ptrdiff_t>(row.size());
  }
  return out;
}

SteadyPairs steady_pairs(const std::vector<double>& ratios, const std::vector<std::array<double, 2>>& rtt_ns) {
  if (ratios.size() != rtt_ns.size()) throw std::invalid_argument("not one pair of probes per ratio");
  SteadyRuns runs = steady_runs(rtt_ns);
  SteadyPairs s;
  s.reference_rtt_ns = runs.reference_rtt_ns;
  std::vector<double> steady;
  for (size_t i = 0; i < ratios.size(); ++i)
    if (runs.steady[i]) steady.push_back(ratios[i]);
  s.n = steady.size();
  if (s.n) s.ratio_median = median(steady);
  return s;
}

std::vector<double> pair_ratios(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("A and B have different run counts");
  if (a.empty()) throw std::invalid_argument("no runs");
  std::vector<double> r;
  r.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(a[i] > 0.0)) throw std::invalid_argument("non-positive A figure in pair " + std::to_string(i));
    r.push_back(b[i] / a[i]);
  }
  return r;
}

Spread spread(const std::vector<double>& v) {
  if (v.empty()) throw std::invalid_argument("spread of an empty sample");
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return {*lo, *hi};
}

double ratio_pct(double ratio) { return (ratio - 1.0) * 100.0; }

void check_thresholds(const Thresholds& t) {
  if (!(t.nogo_pct < t.go_pct)) throw std::invalid_argument("--nogo must be below --go");
}

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::Go: return "GO";
    case Verdict::NoGo: return "NO-GO";
    case Verdict::Neutral: return "NEUTRAL";
  }
  return "?";
}

Verdict verdict_from_string(const std::string& s) {
  if (s == "GO") return Verdict::Go;
  if (s == "NO-GO") return Verdict::NoGo;
  if (s == "NEUTRAL") return Verdict::Neutral;
  throw std::invalid_argument("unknown verdict '" + s + "'");
}

Verdict verdict_for(double ratio_median, const Thresholds& t) {
  double pct = ratio_pct(ratio_median);
  if (pct >= t.go_pct - kEps) return Verdict::Go;
  if (pct <= t.nogo_pct + kEps) return Verdict::NoGo;
  return Verdict::Neutral;
}

bool guard_ok(double ratio_median, double max_regress_pct) {
  return ratio_pct(ratio_median) >= max_regress_pct - kEps;
}

Verdict with_guards(Verdict main, const std::vector<bool>& guards_ok) {
  for (bool ok : guards_ok)
    if (!ok) return Verdict::NoGo;
  return main;
}

}  // namespace hmb
