// The runners' side of the hakmem-bench interface: profile names, case
// names/filters, parsing of the Google Benchmark JSON a child prints and of a
// callgrind output file, and quoting of a command line for the ledger.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hmb {

// Canonical profiles: mixed small medium mixed32k app realloc aligned
// ring:0 ring:50 ring:90 larson churn xfer:16 xfer:64 xfer:256 xfer2:16
// xfer2:64 xfer2:256 pipe:16 pipe:64 pipe:256 pipe2:16 pipe2:64 pipe2:256 large grow
// objects buffers.
const std::vector<std::string>& all_profiles();
// Expands --profile arguments: comma lists, "all", "ring" (= ring:50), "xfer" (= xfer:64),
// "xfer2", "pipe" and "pipe2" (each :64).
// Throws std::invalid_argument naming an unknown profile. Order kept, duplicates dropped.
std::vector<std::string> expand_profiles(const std::vector<std::string>& args);

// Benchmark case of a profile for a variant (hakmem | mimalloc | system):
// mixed -> "mixed/hakmem", ring:50 -> "ring/hakmem/remote:50", xfer:64 -> "xfer/hakmem/size:64".
std::string bench_case(const std::string& profile, const std::string& variant);
// The --benchmark_filter regex selecting exactly that case.
std::string bench_filter(const std::string& profile, const std::string& variant);
// The case of a Google Benchmark run name: "mixed/hakmem/iterations:1/manual_time" -> "mixed/hakmem".
std::string case_of_run_name(const std::string& run_name);

struct BenchSample {
  double ops = 0, ops_per_s = 0, ns_per_op = 0, peak_rss_kb = 0, final_rss_kb = 0;
  double cpu_ops_per_s = 0, cpu_ns_per_op = 0;
  std::optional<double> sys_s, minor_faults;  // timed region's system seconds and minor faults, when reported
};

// Which figure the runners compare: wall time of the timed region (default), the process's
// CPU time in it (steadier on a loaded machine), or (hakmem ab only) instructions counted by
// callgrind (deterministic) or the peak resident set (for boxes whose job is memory). The last
// two are compared as ops per 10^9 instructions and as 10^6 / peak KiB, so that higher is
// better for every metric.
enum class Metric { Wall, Cpu, Instr, Rss };
Metric metric_from_string(const std::string& s);  // "wall" | "cpu" | "instr" | "rss"; throws otherwise
const char* to_string(Metric m);
double ops_per_s(const BenchSample& s, Metric m);
double ns_per_op(const BenchSample& s, Metric m);

// Reads the case `name` from hakmem-bench's --benchmark_format=json output.
// Throws std::runtime_error when it is absent, failed (its error message) or
// lacks a counter.
BenchSample parse_bench_json(const std::string& text, const std::string& name);

// Case names in the output of --benchmark_list_tests.
std::vector<std::string> parse_case_list(const std::string& text);

// Total instructions (Ir) from a callgrind output file: its "totals:" line,
// else its "summary:" line. Throws std::runtime_error when neither is present.
double parse_callgrind_ir(const std::string& text);

// A command line as one string, each argument single-quoted when it holds
// characters a POSIX shell would interpret.
std::string shell_join(const std::vector<std::string>& argv);

}  // namespace hmb
