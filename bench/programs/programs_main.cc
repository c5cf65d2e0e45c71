// hakmem-programs: real programs (sqlite3, python3 alone and threaded, g++) run whole
// under every allocator: hakmem's drop-in libhakmem.so, mimalloc, tcmalloc and jemalloc
// preloaded, and glibc with nothing preloaded. --gates adds rows of the same drop-in
// under other HAKMEM_* gates (a same-binary A/B on whole programs). Fresh processes, interleaved
// round-robin per program, --runs times; the child's wall clock, CPU and system
// seconds, peak RSS and minor faults come from wait4. Every run's output is
// compared with glibc's first run. The line round trip is probed just before and after
// each run; the runs made wholly in the program's sitting's closest machine state (steady)
// get their own medians and ratio. --callgrind adds one run per allocator under
// callgrind: the instructions of the program and its children, the figure this
// machine's noise does not move. --syscalls adds one run per allocator under
// strace -f -c: the memory calls (mmap, munmap, mremap, madvise, brk, ...) of the
// program and its children, the kernel's share that system time shows only through
// the noise. Prints a table per program and writes
// <out>/programs-<stamp>.json. Exit status 1 when a run failed or an output
// differed, 2 on errors.
//
// --check-levels: the same programs under the release drop-in and the debug
// build's drop-in at HAKMEM_CHECK=0, 1 and 2 (glibc for the reference output),
// with each variant's times over release's; appends a kind "check-cost" entry
// to the ledger (--no-ledger: not) and regenerates LEDGER.md.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "programs/programs.h"
#include "runner/benchio.h"
#include "runner/build_info.h"
#include "runner/common.h"
#include "runner/gates.h"
#include "runner/sha256.h"
#include "runner/spawn.h"

extern char** environ;

namespace {

using namespace hmb;

struct Alloc {
  std::string name, preload;
  EnvMap gates;
};

// Every allocator found, in table order; the probe row only when named; hakmem's gated rows
// (--gates) after its own, whatever --allocators names.
std::vector<Alloc> allocators(const std::string& hakmem_so, const std::vector<std::string>& wanted,
                              const std::vector<EnvMap>& gated) {
  std::vector<Alloc> all;
  if (file_exists(hakmem_so)) all.push_back({"hakmem", hakmem_so, {}});
  all.push_back({"glibc", "", {}});
  bool probe = std::find(wanted.begin(), wanted.end(), kClassesRow) != wanted.end();
  if (probe && !file_exists(default_classes_so()))
    throw std::runtime_error("no " + default_classes_so() + " (build the hmb_classes_preload target)");
  if (probe) all.push_back({kClassesRow, default_classes_so(), {}});
  for (auto [name, so] : {std::pair{"mimalloc", kMimallocSo}, {"tcmalloc", kTcmallocSo}, {"jemalloc", kJemallocSo}})
    if (file_exists(so)) all.push_back({name, so, {}});
  std::vector<Alloc> out;
  for (const auto& a : all)
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), a.name) != wanted.end()) out.push_back(a);
  if (!gated.empty() && !file_exists(hakmem_so)) throw std::runtime_error("--gates: no " + hakmem_so);
  auto at = std::find_if(out.begin(), out.end(), [](const Alloc& a) { return a.name == "hakmem"; });
  at = at == out.end() ? out.begin() : at + 1;
  for (const auto& g : gated) at = out.insert(at, Alloc{gated_row(g), hakmem_so, g}) + 1;
  return out;
}

// The child's environment: the parent's without stray gates, the allocator's preload and gates,
// the program's own variables.
EnvMap program_env(const Program& p, const Alloc& a, const EnvMap& parent) {
  EnvMap env = scrub_env(parent, {{}, a.gates, a.preload});
  for (const auto& [k, v] : p.env) env[k] = v;
  return env;
}

ProgramRun run_once(const Program& p, const Alloc& a, const EnvMap& parent) {
  EnvMap env = program_env(p, a, parent);
  if (!p.output_file.empty()) std::remove(p.output_file.c_str());
  double before = line_round_trip_ns(kRunProbeTrips);
  ProcResult r = run_process(p.argv, &env);
  double after = line_round_trip_ns(kRunProbeTrips);
  if (r.status != 0)
    throw std::runtime_error(p.name + " under " + a.name + " exited with " + std::to_string(r.status) + "\n" +
                             r.err.substr(0, 2000));
  ProgramRun run;
  run.wall_s = r.wall_s, run.cpu_s = r.user_s + r.sys_s, run.sys_s = r.sys_s, run.peak_rss_kb = r.maxrss_kb;
  run.minor_faults = r.minor_faults, run.rtt_ns = {before, after};
  run.output_sha256 = p.output_file.empty() ? sha256_hex(r.out) : sha256_hex(read_file(p.output_file));
  return run;
}

// Instructions of one run under callgrind, summed over the program's processes.
double count_instructions(const Program& p, const Alloc& a, const EnvMap& parent, const std::string& tmp) {
  EnvMap env = program_env(p, a, parent);
  std::string prefix = "hmb-programs-cg-" + std::to_string(getpid()) + "-" + a.name;
  ProcResult r = run_process(callgrind_argv(p, tmp + "/" + prefix), &env);
  double total = 0;
  for (const auto& f : std::filesystem::directory_iterator(tmp)) {
    if (f.path().filename().string().rfind(prefix + ".", 0) != 0) continue;
    total += parse_callgrind_ir(read_file(f.path().string()));
    std::filesystem::remove(f.path());
  }
  if (r.status != 0 || total <= 0)
    throw std::runtime_error(p.name + " under callgrind and " + a.name + " exited with " + std::to_string(r.status) +
                             "\n" + r.err.substr(0, 2000));
  return total;
}

// Memory calls of one run under strace, summed over the program's processes, by name.
std::map<std::string, double> count_memory_calls(const Program& p, const Alloc& a, const EnvMap& parent,
                                                 const std::string& tmp) {
  EnvMap env = program_env(p, a, parent);
  std::string file = tmp + "/hmb-programs-strace-" + std::to_string(getpid()) + "-" + a.name;
  ProcResult r = run_process(strace_argv(p, file), &env);
  std::string text = file_exists(file) ? read_file(file) : "";
  std::remove(file.c_str());
  if (r.status != 0 || text.empty())
    throw std::runtime_error(p.name + " under strace and " + a.name + " exited with " + std::to_string(r.status) +
                             "\n" + r.err.substr(0, 2000));
  return parse_strace_summary(text);
}

// The programs' names, comma-separated: an entry's "profile".
std::string names_of(const std::vector<Program>& progs) {
  std::string names;
  for (const auto& p : progs) names += (names.empty() ? "" : ",") + p.name;
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> names, wanted, gate_specs;
  int runs = 5;
  std::string out = "bench/results", hakmem_so = default_hakmem_so(), tmp = "/tmp", cpus;
  std::string debug_so = source_dir() + "/build/debug/lib/libhakmem.so", ledger = default_ledger();
  bool check_levels = false, no_ledger = false, callgrind = false, syscalls = false;
  CLI::App app{"hakmem programs: real programs run whole under hakmem and every peer"};
  app.add_option("--programs", names,
                 "sqlite, python, python-malloc, python-threads, gxx, lua, bc (comma list; default all)")
      ->delimiter(',');
  app.add_option("--runs", runs, "interleaved runs per allocator")->check(CLI::Range(1, 1000));
  app.add_option("--cpus", cpus,
                 "run the programs on these CPUs only (taskset -c list: 0, 0,1, 0-3): thread placement out of "
                 "the times");
  app.add_option("--allocators", wanted,
                 "only these: hakmem, glibc, mimalloc, tcmalloc, jemalloc, and glibc-classes (glibc with hakmem's "
                 "size classes, run only when named)")
      ->delimiter(',');
  app.add_option("--gates", gate_specs,
                 "a row of hakmem's drop-in under these gates, HAKMEM_X=v[,HAKMEM_Y=w] (repeatable: one row each)");
  app.add_option("--out", out, "directory of the JSON results, relative to the source tree");
  app.add_option("--hakmem-so", hakmem_so, "hakmem's drop-in library (with --check-levels: the release one)");
  app.add_flag("--check-levels", check_levels,
               "release drop-in vs the debug drop-in at HAKMEM_CHECK=0,1,2 (kind \"check-cost\" ledger entry)");
  app.add_flag("--callgrind", callgrind,
               "also count each program's instructions under valgrind --tool=callgrind (one run per allocator)");
  app.add_flag("--syscalls", syscalls,
               "also count each program's memory calls (mmap, munmap, mremap, madvise, brk, ...) under strace -f -c "
               "(one run per allocator)");
  app.add_option("--debug-so", debug_so, "the debug build's drop-in library (--check-levels)");
  app.add_option("--ledger", ledger, "ledger file (LEDGER.md is regenerated beside it)");
  app.add_flag("--no-ledger", no_ledger, "do not append to the ledger");
  CLI11_PARSE(app, argc, argv);
  if (names.empty())
    for (const auto& p : default_programs(tmp)) names.push_back(p.name);
  EnvMap parent = env_from_environ(environ);
  if (!stray_gates(parent).empty()) {
    std::fprintf(stderr, "hakmem programs: %s\n", stray_refusal(stray_gates(parent)).c_str());
    return 2;
  }
  try {
    // The programs' inputs are named relative to the source tree, and so is what the JSON records.
    if (chdir(source_dir().c_str()) != 0) throw std::runtime_error("cannot enter the source tree");
    sitting_git_state(source_dir());  // the ledger entry records the tree as the sitting found it
    auto progs = select_programs(default_programs(tmp), names);
    if (!cpus.empty()) progs = on_cpus(progs, cpus);
    std::vector<Alloc> allocs;
    std::vector<CheckVariant> variants;
    if (check_levels && !gate_specs.empty()) throw std::invalid_argument("--gates does not combine with --check-levels");
    if (check_levels) {
      for (const auto& so : {hakmem_so, debug_so})
        if (!file_exists(so)) throw std::runtime_error("no " + so + " (build the release and debug presets' hakmem_preload)");
      variants = check_variants(hakmem_so, debug_so);
      for (const auto& v : variants) allocs.push_back({v.name, v.preload, v.gates});
    } else {
      std::vector<EnvMap> gated;
      for (const auto& spec : gate_specs) {
        gated.push_back(parse_gates({spec}));
        for (const auto& [name, value] : gated.back())
          if (box_of_gate(name).empty()) throw std::invalid_argument("unknown gate " + name + " (not in alloc/registry/gates.def)");
      }
      allocs = allocators(hakmem_so, wanted, gated);
    }
    CheckCostEntry entry;
    entry.runs = runs;
    ProgramsEntry side;  // the side-by-side's entry (not --check-levels)
    side.runs = runs;
    bool ok = true;
    nlohmann::json doc = {{"date", utc_now_iso()}, {"commit", git_state(".").commit}, {"runs", runs},
                          {"programs", nlohmann::json::object()}};
    for (const auto& p : progs) {
      std::map<std::string, std::vector<ProgramRun>> got;
      std::map<std::string, std::string> failed;
      std::optional<std::string> reference;
      for (int run = 1; run <= runs; ++run)
        for (const auto& a : allocs) {
          if (failed.count(a.name)) continue;
          std::fprintf(stderr, "[programs] %s run %d/%d %s ... ", p.name.c_str(), run, runs, a.name.c_str());
          try {
            ProgramRun r = run_once(p, a, parent);
            if (a.name == "glibc" && !reference) reference = r.output_sha256;
            got[a.name].push_back(r);
            std::fprintf(stderr, "%.3f s wall, %.3f s cpu (line round trip %.0f, %.0f ns)\n", r.wall_s, r.cpu_s,
                         r.rtt_ns[0], r.rtt_ns[1]);
          } catch (const std::exception& e) {
            failed[a.name] = e.what();
            std::fprintf(stderr, "FAILED\n%s\n", e.what());
          }
        }
      // Which runs were made wholly in the sitting's closest machine state, over every row's runs.
      std::vector<std::vector<ProgramRun>> sitting;
      for (const auto& a : allocs)
        if (got.count(a.name)) sitting.push_back(got[a.name]);
      auto steady = steady_flags(sitting);
      std::vector<ProgramRow> rows;
      nlohmann::json pj = {{"argv", p.argv}, {"stands_for", p.stands_for}, {"rows", nlohmann::json::array()},
                           {"failures", failed}};
      for (const auto& a : allocs) {
        if (!got.count(a.name)) continue;
        const std::vector<bool> flags = steady[rows.size()];  // this row's, rows following `sitting`'s order
        rows.push_back(summarize(p.name, a.name, got[a.name], reference, flags));
        if (callgrind) {
          std::fprintf(stderr, "[programs] %s under callgrind, %s ... ", p.name.c_str(), a.name.c_str());
          try {
            rows.back().instructions = count_instructions(p, a, parent, tmp);
            std::fprintf(stderr, "%.3fG instructions\n", rows.back().instructions / 1e9);
          } catch (const std::exception& e) {
            failed[a.name] = e.what();
            std::fprintf(stderr, "FAILED\n%s\n", e.what());
          }
        }
        if (syscalls) {
          std::fprintf(stderr, "[programs] %s under strace, %s ... ", p.name.c_str(), a.name.c_str());
          try {
            rows.back().memory_calls = count_memory_calls(p, a, parent, tmp);
            std::fprintf(stderr, "%.0f memory calls\n", memory_call_total(rows.back()));
          } catch (const std::exception& e) {
            failed[a.name] = e.what();
            std::fprintf(stderr, "FAILED\n%s\n", e.what());
          }
        }
        const auto& r = rows.back();
        ok = ok && r.output_matches;
        pj["rows"].push_back({{"allocator", r.allocator}, {"preload", a.preload.empty() ? "" : check_levels || a.name == kClassesRow ? portable_command(a.preload) : "lib" + (is_peer(a.name) ? a.name : std::string("hakmem"))},
                              {"gates", a.gates},
                              {"wall_s", r.wall_s}, {"cpu_s", r.cpu_s}, {"sys_s", r.sys_s},
                              {"peak_rss_kb", r.peak_rss_kb}, {"minor_faults", r.minor_faults},
                              {"output_matches", r.output_matches}, {"runs", r.runs}});
        if (r.instructions > 0) pj["rows"].back()["instructions"] = r.instructions;
        nlohmann::json probes = nlohmann::json::array();
        for (const auto& run : got[a.name]) probes.push_back({run.rtt_ns[0], run.rtt_ns[1]});
        pj["rows"].back()["rtt_ns"] = probes, pj["rows"].back()["steady"] = flags;
        pj["rows"].back()["steady_runs"] = r.steady_runs;
        pj["rows"].back()["wall_min_s"] = r.wall_min_s, pj["rows"].back()["wall_max_s"] = r.wall_max_s;
        if (r.steady_runs > 0) pj["rows"].back()["steady_wall_s"] = r.steady_wall_s, pj["rows"].back()["steady_cpu_s"] = r.steady_cpu_s;
        if (!r.memory_calls.empty()) pj["rows"].back()["memory_calls"] = r.memory_calls;
      }
      ok = ok && failed.empty() && reference.has_value();
      doc["programs"][p.name] = pj;
      std::printf("\n== %s: medians of %d interleaved runs ==\n%s", p.name.c_str(), runs,
                  (check_levels ? format_check_table(rows) : format_programs_table(rows)).c_str());
      if (check_levels) entry.programs.push_back(check_cost_program(p.name, rows, variants));
      else side.rows.insert(side.rows.end(), rows.begin(), rows.end());
      for (const auto& [name, why] : failed) std::printf("%s FAILED: %s\n", name.c_str(), why.c_str());
      if (!reference) std::printf("no glibc run: outputs not compared\n");
    }
    std::string path = out + "/programs-" + utc_now_stamp() + ".json";
    write_file(path, doc.dump(2) + "\n");
    std::printf("results: %s\n", path.c_str());
    if (check_levels && !no_ledger && !entry.programs.empty()) {
      // The binary measured is the debug drop-in; the provenance names it and its preset.
      ChildContext ctx{debug_so, parent, {}};
      entry.prov = make_provenance(ctx, std::vector<std::string>(argv, argv + argc), {}, names_of(progs));
      entry.prov.preset = "debug";
      entry.prov.metric = "cpu";
      append_ledger(ledger, to_json(entry));
      std::printf("ledger: appended to %s; summary %s\n", ledger.c_str(), regenerate_ledger_md(ledger).c_str());
    }
    // The entry names hakmem's drop-in as the binary measured: without one there is no entry.
    if (!check_levels && !no_ledger && !side.rows.empty() && file_exists(hakmem_so)) {
      ChildContext ctx{hakmem_so, parent, {}};
      side.prov = make_provenance(ctx, std::vector<std::string>(argv, argv + argc), {}, names_of(progs));
      side.prov.metric = "wall";
      append_ledger(ledger, to_json(side));
      std::printf("ledger: appended to %s; summary %s\n", ledger.c_str(), regenerate_ledger_md(ledger).c_str());
    }
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hakmem programs: %s\n", e.what());
    return 2;
  }
}
