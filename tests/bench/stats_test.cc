#include "runner/stats.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace hmb {
namespace {

TEST(Median, OddEvenAndUnsorted) {
  EXPECT_DOUBLE_EQ(median({3.0}), 3.0);
  EXPECT_DOUBLE_EQ(median({5.0, 1.0, 3.0}), 3.0);
  EXPECT_DOUBLE_EQ(median({4.0, 1.0, 3.0, 2.0}), 2.5);
  EXPECT_DOUBLE_EQ(median({10.0, 10.0, 1000.0}), 10.0);  // an outlier does not move it
}

TEST(Median, EmptyThrows) { EXPECT_THROW(median({}), std::invalid_argument); }

TEST(PairRatios, BOverAPerPair) {
  auto r = pair_ratios({100.0, 200.0, 50.0}, {110.0, 180.0, 50.0});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_DOUBLE_EQ(r[0], 1.1);
  EXPECT_DOUBLE_EQ(r[1], 0.9);
  EXPECT_DOUBLE_EQ(r[2], 1.0);
}

TEST(PairRatios, RejectsMismatchEmptyAndZero) {
  EXPECT_THROW(pair_ratios({1.0, 2.0}, {1.0}), std::invalid_argument);
  EXPECT_THROW(pair_ratios({}, {}), std::invalid_argument);
  EXPECT_THROW(pair_ratios({0.0}, {1.0}), std::invalid_argument);
  EXPECT_THROW(pair_ratios({-1.0}, {1.0}), std::invalid_argument);
}

// Steady pairs: both probes within 2x of the run's lower-quartile probe. A machine that flips
// between a close and a far state keeps only the close pairs; one that never flips keeps them all;
// a pair straddling the flip, or missing a probe, is not steady; one lucky probe moves nothing.
TEST(SteadyPairs, KeepsThePairsWhollyInTheClosestState) {
  std::vector<double> ratios = {1.10, 0.70, 1.20, 0.90, 1.30};
  // Probes 90 100 110 120 120 200 480 490 500: the lower quartile is 110, the bound 220.
  SteadyPairs s = steady_pairs(ratios, {{110, 120}, {480, 500}, {100, 200}, {120, 490}, {90, 0}});
  EXPECT_EQ(s.reference_rtt_ns, 110.0);
  EXPECT_EQ(s.n, 2u);  // the far pair, the straddling one and the one missing a probe are out
  EXPECT_DOUBLE_EQ(s.ratio_median, 1.15);
  SteadyPairs lucky = steady_pairs({1.0, 2.0, 3.0, 4.0}, {{20, 130}, {120, 140}, {130, 125}, {500, 480}});
  EXPECT_EQ(lucky.reference_rtt_ns, 120.0);  // not the single 20
  EXPECT_EQ(lucky.n, 3u);
  SteadyPairs all = steady_pairs({1.0, 1.2, 1.1}, {{480, 500}, {500, 510}, {470, 490}});
  EXPECT_EQ(all.n, 3u);
  EXPECT_DOUBLE_EQ(all.ratio_median, 1.1);
  SteadyPairs none = steady_pairs({1.0}, {{0, 0}});
  EXPECT_EQ(none.n, 0u);
  EXPECT_EQ(none.ratio_median, 0.0);
  EXPECT_THROW(steady_pairs({1.0, 2.0}, {{1, 1}}), std::invalid_argument);
}

// steady_runs: one flag per run, against the same lower-quartile reference.
TEST(SteadyRuns, OneFlagPerRun) {
  SteadyRuns s = steady_runs({{110, 120}, {480, 500}, {100, 200}, {120, 490}, {90, 0}});
  EXPECT_EQ(s.reference_rtt_ns, 110.0);
  EXPECT_EQ(s.steady, (std::vector<bool>{true, false, true, false, false}));
  EXPECT_TRUE(steady_runs({}).steady.empty());
  EXPECT_EQ(steady_runs({{0, 0}}).steady, std::vector<bool>{false});
}

// Rows judged together: the same flags as one list of their runs, given back per row (an empty row too).
TEST(SteadyRuns, ByRowJudgesTheRowsTogether) {
  auto rows = steady_runs_by_row({{{110, 120}, {480, 500}}, {}, {{100, 200}, {120, 490}, {90, 0}}});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<bool>{true, false}));
  EXPECT_TRUE(rows[1].empty());
  EXPECT_EQ(rows[2], (std::vector<bool>{true, false, false}));
}

TEST(MedianOfRatios, DiffersFromRatioOfMedians) {
  // One disturbed pair moves the ratio of medians, not the median of ratios.
  std::vector<double> a = {100, 100, 300}, b = {101, 150, 303};
  EXPECT_DOUBLE_EQ(median(pair_ratios(a, b)), 1.01);
  EXPECT_NE(median(b) / median(a), median(pair_ratios(a, b)));
}

TEST(Spread, MinMax) {
  auto s = spread({1.02, 0.97, 1.05, 1.0});
  EXPECT_DOUBLE_EQ(s.min, 0.97);
  EXPECT_DOUBLE_EQ(s.max, 1.05);
  EXPECT_THROW(spread({}), std::invalid_argument);
}

TEST(Verdict, DefaultThresholdsAndBoundaries) {
  Thresholds t;
  EXPECT_EQ(verdict_for(1.05, t), Verdict::Go);
  EXPECT_EQ(verdict_for(1.01, t), Verdict::Go);  // exactly +1.0% is GO
  EXPECT_EQ(verdict_for(1.0099, t), Verdict::Neutral);
  EXPECT_EQ(verdict_for(1.0, t), Verdict::Neutral);
  EXPECT_EQ(verdict_for(0.9901, t), Verdict::Neutral);
  EXPECT_EQ(verdict_for(0.99, t), Verdict::NoGo);  // exactly -1.0% is NO-GO
  EXPECT_EQ(verdict_for(0.5, t), Verdict::NoGo);
}

TEST(Verdict, CustomThresholds) {
  Thresholds t{2.5, -0.5};
  EXPECT_EQ(verdict_for(1.02, t), Verdict::Neutral);
  EXPECT_EQ(verdict_for(1.025, t), Verdict::Go);
  EXPECT_EQ(verdict_for(0.996, t), Verdict::Neutral);
  EXPECT_EQ(verdict_for(0.995, t), Verdict::NoGo);
  EXPECT_NO_THROW(check_thresholds(t));
  EXPECT_THROW(check_thresholds({-1.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(check_thresholds({1.0, 1.0}), std::invalid_argument);
}

TEST(Verdict, Names) {
  for (Verdict v : {Verdict::Go, Verdict::NoGo, Verdict::Neutral}) EXPECT_EQ(verdict_from_string(to_string(v)), v);
  EXPECT_STREQ(to_string(Verdict::NoGo), "NO-GO");
  EXPECT_THROW(verdict_from_string("MAYBE"), std::invalid_argument);
}

TEST(Guard, RegressionLimit) {
  EXPECT_TRUE(guard_ok(1.0, -1.0));
  EXPECT_TRUE(guard_ok(0.995, -1.0));
  EXPECT_TRUE(guard_ok(0.99, -1.0));  // exactly -1.0% still passes
  EXPECT_FALSE(guard_ok(0.989, -1.0));
  EXPECT_FALSE(guard_ok(0.995, -0.2));
}

TEST(Guard, FailureTurnsVerdictIntoNoGo) {
  EXPECT_EQ(with_guards(Verdict::Go, {true, true}), Verdict::Go);
  EXPECT_EQ(with_guards(Verdict::Go, {true, false}), Verdict::NoGo);
  EXPECT_EQ(with_guards(Verdict::Neutral, {false}), Verdict::NoGo);
  EXPECT_EQ(with_guards(Verdict::Neutral, {}), Verdict::Neutral);
}

TEST(RatioPct, Sign) {
  EXPECT_NEAR(ratio_pct(1.012), 1.2, 1e-9);
  EXPECT_NEAR(ratio_pct(0.95), -5.0, 1e-9);
}

}  // namespace
}  // namespace hmb
