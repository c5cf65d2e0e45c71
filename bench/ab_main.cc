// hakmem-ab: same-binary A/B of HAKMEM_* gates.
//   hakmem ab --profile mixed --a HAKMEM_TCACHE=0 --b HAKMEM_TCACHE=1 --runs 10
//             [--guard small] [--go 1.0 --nogo -1.0] [--box tcache]
// Runs hakmem-bench (default: its in-process hakmem case; --variant preload:
// its system case under LD_PRELOAD of libhakmem.so) as fresh processes
// A B A B ..., each from a scrubbed environment holding only PATH, the HMB_*
// settings and that side's gates. Reports both medians, the median of the
// per-pair ratios B/A, their spread and the verdict (GO at >= +go%, NO-GO at
// <= nogo%, NEUTRAL between; a guard profile regressing by more than
// --guard-pct turns the verdict into NO-GO), then appends a kind "ab" entry to
// the ledger and regenerates LEDGER.md.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cstdio>

#include "runner/build_info.h"
#include "runner/common.h"
#include "runner/gates.h"
#include "runner/report.h"
#include "runner/spawn.h"

extern char** environ;

namespace {

using namespace hmb;

struct Options {
  std::string profile = "mixed";
  std::vector<std::string> a, b, guards;
  int runs = 10;
  double go = 1.0, nogo = -1.0, guard_pct = -1.0;
  std::string box;
  std::string answer, phase;  // the review answer and plan phase this run belongs to (hakmem review plan)
  std::string variant = "hakmem";
  std::string metric = "wall";
  unsigned long iters = 0;
  unsigned threads = 0;
  std::string ledger = default_ledger();
  bool no_ledger = false;
  bool allow_unknown = false;
  std::string bench = self_dir() + "/hakmem-bench";
  std::string hakmem_so = default_hakmem_so();
};

constexpr unsigned long kCallgrindIters = 200000;  // --metric instr without --iters

struct Pairs {
  std::vector<double> a, b;
  std::vector<std::array<double, 2>> rtt;  // the line round trip before A and after B
};

// One run's figure: ops/s, or for --metric instr ops per 10^9 instructions under callgrind.
double figure(const Options& o, Metric m, const ChildContext& ctx, const Variant& v, const std::string& profile,
              const EnvMap& gates) {
  if (m == Metric::Instr) return 1e9 / run_callgrind(ctx, profile, v, gates, o.iters ? o.iters : kCallgrindIters);
  BenchSample s = run_case(ctx, profile, v, gates);
  if (m == Metric::Rss) return s.peak_rss_kb > 0 ? 1e6 / s.peak_rss_kb : 0;
  return ops_per_s(s, m);
}

std::string show(Metric m, double f) {
  char buf[32];
  if (m == Metric::Instr) std::snprintf(buf, sizeof buf, "%.2f instr/op", 1e9 / f);
  else if (m == Metric::Rss) std::snprintf(buf, sizeof buf, "%.2f MiB peak", 1e6 / f / 1024);
  else return fmt_rate(f);
  return buf;
}

Pairs run_pairs(const Options& o, Metric m, const ChildContext& ctx, const Variant& v, const std::string& profile,
                const EnvMap& ga, const EnvMap& gb) {
  Pairs p;
  for (int i = 1; i <= o.runs; ++i) {
    std::fprintf(stderr, "[ab %s %d/%d] A ... ", profile.c_str(), i, o.runs);
    double before = line_round_trip_ns(kRunProbeTrips);
    double fa = figure(o, m, ctx, v, profile, ga);
    std::fprintf(stderr, "%s  B ... ", show(m, fa).c_str());
    double fb = figure(o, m, ctx, v, profile, gb);
    double after = line_round_trip_ns(kRunProbeTrips);
    std::fprintf(stderr, "%s  B/A %s  (line round trip %.0f, %.0f ns)\n", show(m, fb).c_str(),
                 fa > 0 ? fmt_pct(fb / fa).c_str() : "?", before, after);
    p.a.push_back(fa);
    p.b.push_back(fb);
    p.rtt.push_back({before, after});
  }
  return p;
}

std::string env_text(const EnvMap& env) {
  std::string s;
  for (const auto& [k, v] : env) s += (s.empty() ? "" : " ") + k + "=" + v;
  return s;
}

void check_known(const EnvMap& gates) {
  for (const auto& [name, value] : gates)
    if (box_of_gate(name).empty())
      throw std::invalid_argument("unknown gate " + name +
                                  " (not in alloc/registry/gates.def; --allow-unknown-gates to run anyway)");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"hakmem ab: same-binary A/B of HAKMEM_* gates, with verdict and ledger entry"};
  app.add_option("--profile", o.profile, "benchmark profile (mixed, small, ..., ring:50, larson, churn)");
  app.add_option("--a", o.a, "gates of side A: HAKMEM_X=v[,HAKMEM_Y=w]")->required();
  app.add_option("--b", o.b, "gates of side B: HAKMEM_X=v[,HAKMEM_Y=w]")->required();
  app.add_option("--runs", o.runs, "pairs of runs (A B)")->check(CLI::Range(1, 1000));
  app.add_option("--guard", o.guards, "guard profiles that must not regress (repeatable, comma list)")->delimiter(',');
  app.add_option("--guard-pct", o.guard_pct, "largest allowed guard regression in percent (negative)");
  app.add_option("--go", o.go, "GO threshold in percent (B/A - 1)");
  app.add_option("--nogo", o.nogo, "NO-GO threshold in percent (B/A - 1)");
  app.add_option("--box", o.box, "box under test (default: the gates' boxes from gates.def)");
  app.add_option("--answer", o.answer, "review answer ID this run belongs to (written by hakmem review plan)");
  app.add_option("--phase", o.phase, "phase of the answer's A/B plan this run belongs to");
  app.add_option("--variant", o.variant, "hakmem: in-process hm_* case; preload: system case under libhakmem.so")
      ->check(CLI::IsMember({"hakmem", "preload"}));
  app.add_option("--metric", o.metric,
                 "wall (default) or cpu (process CPU time) ops/s; instr: instructions per op under callgrind "
                 "(deterministic; compared as ops per 10^9 instructions, 200000 iterations unless --iters); "
                 "rss: peak resident set (compared as 10^6 / peak KiB: higher is leaner)")
      ->check(CLI::IsMember({"wall", "cpu", "instr", "rss"}));
  app.add_option("--iters", o.iters, "iterations per run (HMB_ITERS; default: the profile's own)");
  app.add_option("--threads", o.threads, "threads of the multi-threaded profiles (HMB_THREADS)");
  app.add_option("--ledger", o.ledger, "ledger file (LEDGER.md is regenerated beside it)");
  app.add_flag("--no-ledger", o.no_ledger, "do not append to the ledger");
  app.add_flag("--allow-unknown-gates", o.allow_unknown, "accept gates missing from gates.def");
  app.add_option("--bench", o.bench, "the hakmem-bench binary");
  app.add_option("--hakmem-so", o.hakmem_so, "hakmem's drop-in library (--variant preload)");
  CLI11_PARSE(app, argc, argv);

  EnvMap parent = env_from_environ(environ);
  if (!refuse_stray_gates("hakmem ab", parent)) return 2;
  try {
    Thresholds th{o.go, o.nogo};
    check_thresholds(th);
    EnvMap ga = parse_gates(o.a), gb = parse_gates(o.b);
    std::string gate = differing_gates(ga, gb);
    if (gate.empty()) throw std::invalid_argument("--a and --b are the same variant");
    if (!o.allow_unknown) check_known(ga), check_known(gb);
    std::string profile = expand_profiles({o.profile}).at(0);
    std::vector<std::string> guards = o.guards.empty() ? std::vector<std::string>{} : expand_profiles(o.guards);

    ChildContext ctx{o.bench, parent, bench_settings(o.iters, o.threads)};
    Variant v = o.variant == "hakmem" ? Variant{"hakmem", "inprocess", "hakmem", ""}
                                      : Variant{"hakmem", "preload", "system", o.hakmem_so};
    if (v.mode == "preload" && !file_exists(o.hakmem_so)) throw std::runtime_error("no " + o.hakmem_so);
    if (v.mode == "inprocess") {
      auto cases = list_cases(ctx);
      if (std::find(cases.begin(), cases.end(), bench_case(profile, "hakmem")) == cases.end())
        throw std::runtime_error(o.bench + " has no hakmem case (built without the hakmem library?)");
    }
    std::fprintf(stderr, "hakmem ab: %s, %d pairs, A: %s, B: %s, variant %s (%s)\n", profile.c_str(), o.runs,
                 env_text(ga).c_str(), env_text(gb).c_str(), v.allocator.c_str(), v.mode.c_str());

    AbEntry e;
    Metric metric = metric_from_string(o.metric);
    Pairs main = run_pairs(o, metric, ctx, v, profile, ga, gb);
    e.a = {ga, main.a, 0};
    e.b = {gb, main.b, 0};
    e.pair_rtt_ns = main.rtt;
    e.gate = gate;
    e.box = o.box.empty() ? boxes_of_gates(gate) : o.box;
    e.thresholds = th;
    e.answer = o.answer;
    e.phase = o.phase;
    for (const auto& g : guards) {
      Pairs gp = run_pairs(o, metric, ctx, v, g, ga, gb);
      double r = median(pair_ratios(gp.a, gp.b));
      e.guards.push_back({g, r, guard_ok(r, o.guard_pct)});
    }
    finish_ab(e);
    e.prov = make_provenance(ctx, std::vector<std::string>(argv, argv + argc), child_env(ctx, v, {}), profile);
    e.prov.metric = to_string(metric);

    std::printf("profile %s, %d pairs, %s (%s), metric %s, line round trip %.0f ns\n", profile.c_str(), o.runs,
                v.allocator.c_str(), v.mode.c_str(), to_string(metric), e.prov.line_rtt_ns);
    const char* unit = metric == Metric::Instr || metric == Metric::Rss ? "" : " ops/s";
    std::printf("  A %-28s median %s%s\n", env_text(ga).c_str(), show(metric, e.a.median).c_str(), unit);
    std::printf("  B %-28s median %s%s\n", env_text(gb).c_str(), show(metric, e.b.median).c_str(), unit);
    std::printf("  B/A median %s  spread %s .. %s\n", fmt_pct(e.ratio_median).c_str(), fmt_pct(e.spread.min).c_str(),
                fmt_pct(e.spread.max).c_str());
    SteadyPairs st = steady_pairs(e.ratios, e.pair_rtt_ns);
    std::printf("  steady pairs (both probes within %.1fx of the lower quartile, %.0f ns): %zu of %zu, B/A median %s%s%s\n",
                kSteadyRtt, st.reference_rtt_ns, st.n, e.ratios.size(), st.n ? fmt_pct(st.ratio_median).c_str() : "-",
                st.n ? ", alone they would give " : "", st.n ? to_string(verdict_for(st.ratio_median, th)) : "");
    for (const auto& g : e.guards)
      std::printf("  guard %s: B/A %s %s (limit %+.2f%%)\n", g.profile.c_str(), fmt_pct(g.ratio_median).c_str(),
                  g.ok ? "ok" : "FAILED", o.guard_pct);
    std::printf("verdict: %s  (GO >= %+.2f%%, NO-GO <= %+.2f%%)\n", to_string(e.verdict), th.go_pct, th.nogo_pct);
    if (!o.no_ledger) {
      append_ledger(o.ledger, to_json(e));
      std::printf("ledger: appended to %s; summary %s\n", o.ledger.c_str(), regenerate_ledger_md(o.ledger).c_str());
    }
    return 0;
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "hakmem ab: %s\n", ex.what());
    return 2;
  }
}
