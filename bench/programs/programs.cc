#include "programs/programs.h"

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "runner/report.h"
#include "runner/stats.h"

namespace hmb {

std::vector<Program> default_programs(const std::string& tmp) {
  return {
      {"sqlite", {"/usr/bin/sqlite3", ":memory:", ".read bench/programs/workload.sql"}, {}, "",
       "a database: bulk insert, three indexes, joins, grouping, update and delete in one in-memory database"},
      {"python", {"/usr/bin/python3", "bench/programs/workload.py"}, {{"PYTHONHASHSEED", "0"}}, "",
       "an interpreter: dicts, lists and strings built, serialised to JSON and parsed back"},
      {"python-malloc", {"/usr/bin/python3", "bench/programs/workload.py"},
       {{"PYTHONHASHSEED", "0"}, {"PYTHONMALLOC", "malloc"}}, "",
       "the same interpreter with its small-object allocator off: every object from malloc"},
      {"python-threads", {"/usr/bin/python3", "bench/programs/threads.py"},
       {{"PYTHONHASHSEED", "0"}, {"PYTHONMALLOC", "malloc"}}, "",
       "a threaded service's hand-off: one thread builds small records and queues them, another takes "
       "and drops them, so every record is malloc'd by one thread and freed by the other"},
      {"gxx",
       {"/usr/bin/g++", "-std=c++20", "-O1", "-Ibench", "-c", "bench/runner/stats.cc", "-o", tmp + "/hmb-programs-stats.o"},
       {}, tmp + "/hmb-programs-stats.o",
       "a compiler: g++ -O1 of one of this project's sources (front end, optimiser, assembler)"},
      {"lua", {"/usr/bin/lua5.4", "bench/programs/workload.lua"}, {}, "",
       "an interpreter whose every object comes from realloc and free, with a garbage collector that frees "
       "in sweeps: trees of tables built and dropped, a symbol table, strings joined, closures"},
      {"bc", {"/usr/bin/bc", "-q", "bench/programs/factor.bc"}, {}, "",
       "a bignum program: Pollard's rho and a factorial in arbitrary precision, every intermediate "
       "number's digits malloc'd and freed"},
  };
}

std::vector<Program> select_programs(const std::vector<Program>& all, const std::vector<std::string>& names) {
  std::vector<Program> out;
  for (const auto& n : names) {
    auto it = std::find_if(all.begin(), all.end(), [&](const Program& p) { return p.name == n; });
    if (it == all.end()) {
      std::string known;
      for (const auto& p : all) known += " " + p.name;
      throw std::invalid_argument("unknown program '" + n + "' (known:" + known + ")");
    }
    if (std::none_of(out.begin(), out.end(), [&](const Program& p) { return p.name == n; })) out.push_back(*it);
  }
  return out;
}

std::vector<Program> on_cpus(std::vector<Program> programs, const std::string& cpus) {
  if (!std::regex_match(cpus, std::regex(R"(\d+(-\d+)?(,\d+(-\d+)?)*)")))
    throw std::invalid_argument("--cpus: '" + cpus + "' is not a CPU list (0 or 0,1 or 0-3)");
  for (auto& p : programs) p.argv.insert(p.argv.begin(), {"taskset", "-c", cpus});
  return programs;
}

ProgramRow summarize(const std::string& program, const std::string& allocator, const std::vector<ProgramRun>& runs,
                     const std::optional<std::string>& reference_sha256, const std::vector<bool>& steady) {
  if (!steady.empty() && steady.size() != runs.size())
    throw std::invalid_argument("summarize: " + std::to_string(steady.size()) + " steady flags for " +
                                std::to_string(runs.size()) + " runs");
  ProgramRow row;
  row.program = program, row.allocator = allocator;
  row.runs = static_cast<int>(runs.size());
  if (runs.empty()) return row;
  std::vector<double> wall, cpu, sys, rss, faults, steady_wall, steady_cpu;
  for (size_t k = 0; k < runs.size(); ++k) {
    const ProgramRun& r = runs[k];
    wall.push_back(r.wall_s), cpu.push_back(r.cpu_s), sys.push_back(r.sys_s), rss.push_back(r.peak_rss_kb);
    faults.push_back(r.minor_faults);
    if (!steady.empty() && steady[k]) steady_wall.push_back(r.wall_s), steady_cpu.push_back(r.cpu_s);
    if (reference_sha256 && r.output_sha256 != *reference_sha256) row.output_matches = false;
  }
  row.wall_s = median(wall), row.cpu_s = median(cpu), row.sys_s = median(sys), row.peak_rss_kb = median(rss);
  row.minor_faults = median(faults);
  const auto [fastest, slowest] = std::minmax_element(wall.begin(), wall.end());
  row.wall_min_s = *fastest, row.wall_max_s = *slowest;
  if (!steady_wall.empty()) {
    row.steady_wall_s = median(steady_wall), row.steady_cpu_s = median(steady_cpu);
    row.steady_runs = static_cast<int>(steady_wall.size());
  }
  return row;
}

std::vector<std::vector<bool>> steady_flags(const std::vector<std::vector<ProgramRun>>& rows) {
  std::vector<std::vector<std::array<double, 2>>> rtt;
  for (const auto& runs : rows) {
    rtt.emplace_back();
    for (const auto& r : runs) rtt.back().push_back(r.rtt_ns);
  }
  return steady_runs_by_row(rtt);
}

bool is_peer(const std::string& allocator) {
  return allocator.rfind("hakmem", 0) != 0 && allocator != kClassesRow;
}

std::string gated_row(const EnvMap& gates) {
  std::string list;
  for (const auto& [k, v] : gates) {
    if (!list.empty()) list += ",";
    list += (k.rfind(kGatePrefix, 0) == 0 ? k.substr(std::string(kGatePrefix).size()) : k) + "=" + v;
  }
  return "hakmem[" + list + "]";
}

std::string format_programs_table(const std::vector<ProgramRow>& rows, TableStyle style) {
  auto best = [&](double ProgramRow::*f) {
    std::optional<double> b;
    for (const auto& r : rows)
      if (is_peer(r.allocator) && r.*f > 0 && (!b || r.*f < *b)) b = r.*f;
    return b;
  };
  auto wall = best(&ProgramRow::wall_s), cpu = best(&ProgramRow::cpu_s), rss = best(&ProgramRow::peak_rss_kb);
  auto instr = best(&ProgramRow::instructions), steady = best(&ProgramRow::steady_wall_s);
  std::optional<double> calls;
  for (const auto& r : rows)
    if (double n = memory_call_total(r); is_peer(r.allocator) && n > 0 && (!calls || n < *calls)) calls = n;
  bool counted = std::any_of(rows.begin(), rows.end(), [](const ProgramRow& r) { return !r.memory_calls.empty(); });
  auto ratio = [](double v, const std::optional<double>& b) {
    return b && v > 0 ? fmt_fixed(v / *b, 3) : std::string("-");
  };
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : rows) {
    std::string range = r.wall_max_s > 0 ? fmt_fixed(r.wall_min_s, 3) + "-" + fmt_fixed(r.wall_max_s, 3) : "-";
    cells.push_back({r.program, r.allocator, fmt_fixed(r.wall_s, 3), range, fmt_fixed(r.cpu_s, 3), fmt_fixed(r.sys_s, 3),
                     fmt_fixed(r.peak_rss_kb / 1024.0, 1), fmt_rate(r.minor_faults), ratio(r.wall_s, wall),
                     ratio(r.cpu_s, cpu), ratio(r.peak_rss_kb, rss), r.output_matches ? "yes" : "NO"});
    if (instr) {
      cells.back().push_back(r.instructions > 0 ? fmt_fixed(r.instructions / 1e9, 3) : std::string("-"));
      cells.back().push_back(ratio(r.instructions, instr));
    }
    if (steady) {
      cells.back().push_back(std::to_string(r.steady_runs));
      cells.back().push_back(ratio(r.steady_wall_s, steady));
    }
    if (counted) {
      double n = memory_call_total(r);
      cells.back().push_back(r.memory_calls.empty() ? std::string("-") : fmt_fixed(n, 0));
      cells.back().push_back(ratio(n, calls));
    }
  }
  std::vector<std::string> head = {"program", "allocator", "wall s", "wall range", "cpu s", "sys s", "peak MiB", "minflt",
                                   "wall x best peer", "cpu x best peer", "rss x leanest peer", "output = glibc"};
  if (instr) head.insert(head.end(), {"G instr", "instr x best peer"});
  if (steady) head.insert(head.end(), {"steady runs", "steady wall x best peer"});
  if (counted) head.insert(head.end(), {"mm calls", "mm calls x fewest peer"});
  return render_table(head, cells, style);
}

std::vector<std::string> callgrind_argv(const Program& p, const std::string& out_prefix) {
  std::vector<std::string> argv = {"valgrind", "--tool=callgrind", "--trace-children=yes",
                                   "--callgrind-out-file=" + out_prefix + ".%p"};
  argv.insert(argv.end(), p.argv.begin(), p.argv.end());
  return argv;
}

double memory_call_total(const ProgramRow& r) {
  double n = 0;
  for (const auto& [name, calls] : r.memory_calls) n += calls;
  return n;
}

std::vector<std::string> strace_argv(const Program& p, const std::string& out_file) {
  std::vector<std::string> argv = {"strace", "-f", "-c", "-e", "trace=%memory", "-o", out_file};
  argv.insert(argv.end(), p.argv.begin(), p.argv.end());
  return argv;
}

std::map<std::string, double> parse_strace_summary(const std::string& text) {
  // "% time  seconds  usecs/call  calls  errors  syscall", a rule, one line per call (the errors
  // column may be empty), a rule, the total.
  std::istringstream in(text);
  std::map<std::string, double> calls;
  std::string line;
  int rules = 0;
  while (std::getline(in, line) && rules < 2) {
    if (line.rfind("------", 0) == 0) {
      ++rules;
      continue;
    }
    if (rules != 1) continue;
    std::istringstream f(line);
    std::vector<std::string> w;
    for (std::string t; f >> t;) w.push_back(t);
    char* end = nullptr;
    double n = w.size() >= 5 ? std::strtod(w[3].c_str(), &end) : 0;
    if (w.size() < 5 || *end != '\0') throw std::invalid_argument("strace summary: no call count in '" + line + "'");
    calls[w.back()] += n;
  }
  if (rules < 2) throw std::invalid_argument("no strace -c summary in the text");
  return calls;
}

std::vector<CheckVariant> check_variants(const std::string& release_so, const std::string& debug_so) {
  std::vector<CheckVariant> v = {{"glibc", "", {}}, {"release", release_so, {}}};
  for (int level = 0; level <= 2; ++level)
    v.push_back({"check" + std::to_string(level), debug_so, {{"HAKMEM_CHECK", std::to_string(level)}}});
  return v;
}

std::optional<CheckRatios> ratios_vs_release(const std::vector<ProgramRow>& rows, const ProgramRow& r) {
  auto rel = std::find_if(rows.begin(), rows.end(), [](const ProgramRow& x) { return x.allocator == "release"; });
  if (rel == rows.end() || rel->wall_s <= 0 || rel->cpu_s <= 0) return std::nullopt;
  CheckRatios c;
  c.wall = r.wall_s / rel->wall_s, c.cpu = r.cpu_s / rel->cpu_s;
  c.rss = rel->peak_rss_kb > 0 ? r.peak_rss_kb / rel->peak_rss_kb : 0;
  return c;
}

std::string format_check_table(const std::vector<ProgramRow>& rows) {
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : rows) {
    auto x = ratios_vs_release(rows, r);
    auto show = [&](double CheckRatios::*f) { return x && (*x).*f > 0 ? fmt_fixed((*x).*f, 2) + "x" : std::string("-"); };
    cells.push_back({r.program, r.allocator, fmt_fixed(r.wall_s, 3), fmt_fixed(r.cpu_s, 3),
                     fmt_fixed(r.peak_rss_kb / 1024.0, 1), show(&CheckRatios::wall), show(&CheckRatios::cpu),
                     show(&CheckRatios::rss), r.output_matches ? "yes" : "NO"});
  }
  return render_table({"program", "variant", "wall s", "cpu s", "peak MiB", "wall x release", "cpu x release",
                       "rss x release", "output = glibc"},
                      cells, TableStyle::Text);
}

CheckCostProgram check_cost_program(const std::string& program, const std::vector<ProgramRow>& rows,
                                    const std::vector<CheckVariant>& variants) {
  CheckCostProgram p;
  p.program = program;
  for (const auto& r : rows) {
    if (r.allocator == "glibc") continue;
    CheckCostRow c;
    c.variant = r.allocator;
    for (const auto& v : variants)
      if (v.name == r.allocator) c.gates = v.gates;
    c.wall_s = r.wall_s, c.cpu_s = r.cpu_s, c.peak_rss_kb = r.peak_rss_kb, c.runs = r.runs;
    c.output_matches = r.output_matches;
    if (auto x = ratios_vs_release(rows, r)) c.wall_x_release = x->wall, c.cpu_x_release = x->cpu;
    p.rows.push_back(c);
  }
  return p;
}

}  // namespace hmb
