// hakmem-sbs: side-by-side benchmark of hakmem against its peers.
// For each profile, runs hakmem-bench as fresh processes for every allocator,
// round-robin, --runs times: the in-process cases (hakmem, mimalloc, glibc
// through the "system" case) and the "system" case under LD_PRELOAD of
// mimalloc, tcmalloc, jemalloc and hakmem's drop-in libhakmem.so when those exist.
// Prints the table of medians with ratios, writes <out>/sbs-<profile>-<stamp>.json
// and .svg, appends a kind "sbs" entry per profile to the ledger and
// regenerates LEDGER.md.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "runner/build_info.h"
#include "runner/common.h"
#include "runner/report.h"
#include "runner/spawn.h"

extern char** environ;

namespace {

using namespace hmb;

struct Options {
  std::vector<std::string> profiles{"mixed"};
  int runs = 3;
  unsigned long iters = 0;
  unsigned threads = 0;
  std::vector<std::string> allocators;
  std::string metric = "wall";
  bool callgrind = false;
  unsigned long callgrind_iters = 200000;
  std::string out = default_results_dir();
  std::string ledger = default_ledger();
  bool no_ledger = false;
  std::string bench = self_dir() + "/hakmem-bench";
  std::string hakmem_so = default_hakmem_so();
};

bool wanted(const Options& o, const Variant& v) {
  if (o.allocators.empty()) return true;
  for (const auto& a : o.allocators)
    if (a == v.allocator || a == v.allocator + ":" + v.mode) return true;
  return false;
}

std::vector<Variant> discover(const Options& o, const ChildContext& ctx) {
  auto cases = list_cases(ctx);
  auto has = [&](const std::string& variant) {
    for (const auto& c : cases)
      if (c == "mixed/" + variant) return true;
    return false;
  };
  std::vector<Variant> all;
  if (has("hakmem")) all.push_back({"hakmem", "inprocess", "hakmem", ""});
  if (file_exists(o.hakmem_so)) all.push_back({"hakmem", "preload", "system", o.hakmem_so});
  if (has("mimalloc")) all.push_back({"mimalloc", "inprocess", "mimalloc", ""});
  if (file_exists(kMimallocSo)) all.push_back({"mimalloc", "preload", "system", kMimallocSo});
  all.push_back({"glibc", "inprocess", "system", ""});
  if (file_exists(kTcmallocSo)) all.push_back({"tcmalloc", "preload", "system", kTcmallocSo});
  if (file_exists(kJemallocSo)) all.push_back({"jemalloc", "preload", "system", kJemallocSo});
  std::vector<Variant> out;
  for (const auto& v : all)
    if (wanted(o, v)) out.push_back(v);
  return out;
}

nlohmann::json sample_json(const BenchSample& s) {
  return {{"ops", s.ops},
          {"ops_per_s", s.ops_per_s},
          {"ns_per_op", s.ns_per_op},
          {"cpu_ops_per_s", s.cpu_ops_per_s},
          {"cpu_ns_per_op", s.cpu_ns_per_op},
          {"peak_rss_kb", s.peak_rss_kb},
          {"final_rss_kb", s.final_rss_kb},
          {"sys_s", s.sys_s ? nlohmann::json(*s.sys_s) : nlohmann::json(nullptr)},
          {"minor_faults", s.minor_faults ? nlohmann::json(*s.minor_faults) : nlohmann::json(nullptr)}};
}

// Runs one profile; returns false when some allocator failed.
bool run_profile(const Options& o, Metric metric, const ChildContext& ctx, const std::vector<Variant>& vars, const std::string& profile,
                 const std::vector<std::string>& argv) {
  std::vector<std::vector<BenchSample>> samples(vars.size());
  std::vector<std::vector<std::array<double, 2>>> rtt(vars.size());  // the line round trip before and after each run
  std::vector<std::string> failure(vars.size());
  const size_t total = static_cast<size_t>(o.runs) * vars.size();
  size_t done = 0;
  for (int run = 1; run <= o.runs; ++run)
    for (size_t i = 0; i < vars.size(); ++i) {
      ++done;
      if (!failure[i].empty()) continue;
      std::fprintf(stderr, "[sbs %zu/%zu] %s run %d/%d %s (%s) ... ", done, total, profile.c_str(), run, o.runs,
                   vars[i].allocator.c_str(), vars[i].mode.c_str());
      try {
        double before = line_round_trip_ns(kRunProbeTrips);
        BenchSample s = run_case(ctx, profile, vars[i], {});
        double after = line_round_trip_ns(kRunProbeTrips);
        samples[i].push_back(s);
        rtt[i].push_back({before, after});
        std::fprintf(stderr, "%s ops/s, %.2f ns/op (%s; line round trip %.0f, %.0f ns)\n",
                     fmt_rate(ops_per_s(s, metric)).c_str(), ns_per_op(s, metric), to_string(metric), before, after);
      } catch (const std::exception& e) {
        failure[i] = e.what();
        std::fprintf(stderr, "FAILED\n%s\n", e.what());
      }
    }
  // Which runs were made wholly in the sitting's closest machine state, over every allocator's runs.
  const std::vector<std::vector<bool>> steady = steady_runs_by_row(rtt);
  std::vector<SbsRow> rows;
  nlohmann::json raw = nlohmann::json::object(), failures = nlohmann::json::object();
  for (size_t i = 0; i < vars.size(); ++i) {
    const Variant& v = vars[i];
    std::string key = v.allocator + ":" + v.mode;
    if (!failure[i].empty()) {
      failures[key] = failure[i];
      continue;
    }
    SbsRow r;
    r.allocator = v.allocator, r.mode = v.mode;
    std::vector<double> ops, ns, peak, fin, sys, faults, cpu, steady_ops;
    raw[key] = nlohmann::json::array();
    for (size_t k = 0; k < samples[i].size(); ++k) {
      const BenchSample& s = samples[i][k];
      ops.push_back(ops_per_s(s, metric)), ns.push_back(ns_per_op(s, metric)), peak.push_back(s.peak_rss_kb),
          fin.push_back(s.final_rss_kb), cpu.push_back(s.cpu_ns_per_op);
      if (s.sys_s) sys.push_back(*s.sys_s);
      if (s.minor_faults) faults.push_back(*s.minor_faults);
      if (steady[i][k]) steady_ops.push_back(ops.back());
      nlohmann::json js = sample_json(s);
      js["rtt_ns"] = {rtt[i][k][0], rtt[i][k][1]};
      js["steady"] = bool(steady[i][k]);
      raw[key].push_back(js);
    }
    if (!steady_ops.empty()) r.steady_ops_per_s = median(steady_ops), r.steady_runs = static_cast<int>(steady_ops.size());
    r.ops_per_s = median(ops), r.ns_per_op = median(ns), r.peak_rss_kb = median(peak), r.final_rss_kb = median(fin);
    if (!sys.empty() && sys.size() == samples[i].size()) r.sys_s = median(sys);
    if (!faults.empty() && faults.size() == samples[i].size()) r.minor_faults = median(faults);
    if (!cpu.empty() && median(cpu) > 0) r.cpu_ns_per_op = median(cpu);
    if (o.callgrind) {
      std::fprintf(stderr, "[sbs callgrind] %s %s (%s), %lu iterations ... ", profile.c_str(), v.allocator.c_str(),
                   v.mode.c_str(), o.callgrind_iters);
      try {
        r.instr_per_op = run_callgrind(ctx, profile, v, {}, o.callgrind_iters);
        std::fprintf(stderr, "%.1f instr/op\n", *r.instr_per_op);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "FAILED\n%s\n", e.what());
      }
    }
    rows.push_back(r);
  }
  if (rows.empty()) return false;
  SbsEntry entry;
  entry.prov = make_provenance(ctx, argv, scrub_env(ctx.parent, {ctx.settings, {}, ""}), profile);
  entry.prov.metric = to_string(metric);
  entry.runs = o.runs;
  entry.results = rows;
  std::string rtt_note = entry.prov.line_rtt_ns > 0 ? " (line round trip " + std::to_string(std::lround(entry.prov.line_rtt_ns)) + " ns)" : "";
  std::printf("\n== %s: medians of %d interleaved runs, %s clock%s ==\n%s", profile.c_str(), o.runs, to_string(metric),
              rtt_note.c_str(), format_sbs_table(rows, TableStyle::Text).c_str());
  for (const auto& [key, why] : failures.items())
    std::printf("%s FAILED: %s\n", key.c_str(), why.get<std::string>().substr(0, why.get<std::string>().find('\n')).c_str());
  std::string name = "sbs-" + profile + "-" + utc_now_stamp();
  std::replace(name.begin(), name.end(), ':', '_');
  const std::string safe = o.out + "/" + name;
  nlohmann::json doc = {{"entry", to_json(entry)}, {"samples", raw}, {"failures", failures}};
  write_file(safe + ".json", doc.dump(2) + "\n");
  write_file(safe + ".svg", render_svg("hakmem sbs: " + profile + " (median ops/s, " + std::to_string(o.runs) +
                                           " runs, " + entry.prov.cpu + ")",
                                       rows));
  std::printf("results: %s.json, %s.svg\n", safe.c_str(), safe.c_str());
  if (!o.no_ledger) {
    append_ledger(o.ledger, to_json(entry));
    std::printf("ledger: appended to %s\n", o.ledger.c_str());
  }
  return failures.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"hakmem sbs: side-by-side benchmark of hakmem, mimalloc, glibc, tcmalloc and jemalloc"};
  app.add_option("--profile", o.profiles, "profiles (comma list; 'all'; ring = ring:50)")->delimiter(',');
  app.add_option("--runs", o.runs, "interleaved repetitions per allocator")->check(CLI::Range(1, 1000));
  app.add_option("--iters", o.iters, "iterations per run (HMB_ITERS; default: each profile's own)");
  app.add_option("--threads", o.threads, "threads of the multi-threaded profiles (HMB_THREADS)");
  app.add_option("--allocators", o.allocators, "only these rows: name or name:mode (comma list)")->delimiter(',');
  app.add_option("--metric", o.metric, "clock of ops/s and ns/op: wall (default) or cpu (process CPU time)")
      ->check(CLI::IsMember({"wall", "cpu"}));
  app.add_flag("--callgrind", o.callgrind, "also measure instructions per op under valgrind --tool=callgrind");
  app.add_option("--callgrind-iters", o.callgrind_iters, "iterations of the callgrind runs");
  app.add_option("--out", o.out, "directory of the JSON results and SVG chart");
  app.add_option("--ledger", o.ledger, "ledger file (LEDGER.md is regenerated beside it)");
  app.add_flag("--no-ledger", o.no_ledger, "do not append to the ledger");
  app.add_option("--bench", o.bench, "the hakmem-bench binary");
  app.add_option("--hakmem-so", o.hakmem_so, "hakmem's drop-in library for the preload row");
  CLI11_PARSE(app, argc, argv);

  EnvMap parent = env_from_environ(environ);
  if (!refuse_stray_gates("hakmem sbs", parent)) return 2;
  try {
    auto profiles = expand_profiles(o.profiles);
    ChildContext ctx{o.bench, parent, bench_settings(o.iters, o.threads)};
    auto vars = discover(o, ctx);
    if (vars.empty()) throw std::runtime_error("no allocator selected");
    std::vector<std::string> args(argv, argv + argc);
    bool ok = true;
    for (const auto& p : profiles) ok = run_profile(o, metric_from_string(o.metric), ctx, vars, p, args) && ok;
    if (!o.no_ledger) std::printf("summary: %s\n", regenerate_ledger_md(o.ledger).c_str());
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hakmem sbs: %s\n", e.what());
    return 2;
  }
}
