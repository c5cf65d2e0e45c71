#include "runner/benchio.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace hmb {

const std::vector<std::string>& all_profiles() {
  static const std::vector<std::string> p = {
      "mixed",  "small",    "medium",    "mixed32k", "app",     "realloc",  "aligned",   "ring:0",
      "ring:50", "ring:90", "larson",    "churn",    "xfer:16", "xfer:64",  "xfer:256",  "xfer2:16",
      "xfer2:64", "xfer2:256", "pipe:16", "pipe:64", "pipe:256", "pipe2:16", "pipe2:64", "pipe2:256",
      "mailbox:16", "mailbox:64", "mailbox:256", "large", "grow", "objects", "bulk", "burst:1024", "burst:4096",
      "buffers"};
  return p;
}

std::vector<std::string> expand_profiles(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  auto add = [&](const std::string& p) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  for (const auto& arg : args) {
    std::istringstream in(arg);
    std::string p;
    while (std::getline(in, p, ',')) {
      if (p.empty()) continue;
      if (p == "all") {
        for (const auto& q : all_profiles()) add(q);
        continue;
      }
      if (p == "ring") p = "ring:50";
      if (p == "xfer" || p == "xfer2" || p == "pipe" || p == "pipe2" || p == "mailbox") p += ":64";
      if (p == "burst") p += ":1024";
      const auto& all = all_profiles();
      if (std::find(all.begin(), all.end(), p) == all.end()) {
        std::string names;
        for (const auto& q : all) names += " " + q;
        throw std::invalid_argument("unknown profile '" + p + "' (known:" + names + ", all)");
      }
      add(p);
    }
  }
  if (out.empty()) throw std::invalid_argument("no profile given");
  return out;
}

std::string bench_case(const std::string& profile, const std::string& variant) {
  auto colon = profile.find(':');
  if (colon == std::string::npos) return profile + "/" + variant;
  std::string name = profile.substr(0, colon);
  const char* key = name == "ring" ? "/remote:" : "/size:";  // ring:P; xfer, xfer2, pipe, pipe2, mailbox, burst:S
  return name + "/" + variant + key + profile.substr(colon + 1);
}

std::string bench_filter(const std::string& profile, const std::string& variant) {
  return "^" + bench_case(profile, variant) + "(/|$)";
}

std::string case_of_run_name(const std::string& run_name) {
  for (const char* suffix : {"/iterations:", "/manual_time", "/real_time", "/min_time:", "/repeats:", "/threads:"})
    if (auto pos = run_name.find(suffix); pos != std::string::npos) return case_of_run_name(run_name.substr(0, pos));
  return run_name;
}

Metric metric_from_string(const std::string& s) {
  if (s == "wall") return Metric::Wall;
  if (s == "cpu") return Metric::Cpu;
  if (s == "instr") return Metric::Instr;
  if (s == "rss") return Metric::Rss;
  throw std::invalid_argument("unknown metric '" + s + "' (wall, cpu, instr, rss)");
}

const char* to_string(Metric m) {
  switch (m) {
    case Metric::Cpu: return "cpu";
    case Metric::Instr: return "instr";
    case Metric::Rss: return "rss";
    case Metric::Wall: break;
  }
  return "wall";
}
double ops_per_s(const BenchSample& s, Metric m) { return m == Metric::Cpu ? s.cpu_ops_per_s : s.ops_per_s; }
double ns_per_op(const BenchSample& s, Metric m) { return m == Metric::Cpu ? s.cpu_ns_per_op : s.ns_per_op; }

BenchSample parse_bench_json(const std::string& text, const std::string& name) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.contains("benchmarks")) throw std::runtime_error("benchmark output is not JSON");
  for (const auto& b : j["benchmarks"]) {
    if (case_of_run_name(b.value("name", "")) != name) continue;
    if (b.value("error_occurred", false)) throw std::runtime_error(name + ": " + b.value("error_message", "failed"));
    BenchSample s;
    std::pair<const char*, double*> fields[] = {{"ops", &s.ops},
                                                {"ops_per_s", &s.ops_per_s},
                                                {"ns_per_op", &s.ns_per_op},
                                                {"peak_rss_kb", &s.peak_rss_kb},
                                                {"final_rss_kb", &s.final_rss_kb},
                                                {"cpu_ops_per_s", &s.cpu_ops_per_s},
                                                {"cpu_ns_per_op", &s.cpu_ns_per_op}};
    for (auto& [key, dst] : fields) {
      if (!b.contains(key) || !b[key].is_number()) throw std::runtime_error(name + ": no counter " + key);
      *dst = b[key];
    }
    // Reported since the kernel's share was measured; absent from older binaries' output.
    if (b.contains("sys_s") && b["sys_s"].is_number()) s.sys_s = b["sys_s"].get<double>();
    if (b.contains("minor_faults") && b["minor_faults"].is_number()) s.minor_faults = b["minor_faults"].get<double>();
    return s;
  }
  throw std::runtime_error("benchmark case " + name + " not in the output");
}

std::vector<std::string> parse_case_list(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(case_of_run_name(line));
  return out;
}

double parse_callgrind_ir(const std::string& text) {
  // "totals:" is authoritative; "summary:" can read 0 when instrumentation
  // starts late (--instr-atstart=no), so it only serves as a fallback.
  std::istringstream in(text);
  std::string line;
  std::optional<double> totals, summary;
  while (std::getline(in, line)) {
    for (const char* key : {"summary:", "totals:"}) {
      if (line.rfind(key, 0) != 0) continue;
      std::istringstream nums(line.substr(std::string(key).size()));
      double v = 0;
      if (!(nums >> v)) throw std::runtime_error(std::string("callgrind ") + key + " line without a number");
      (key[0] == 't' ? totals : summary) = v;
    }
  }
  if (totals) return *totals;
  if (summary) return *summary;
  throw std::runtime_error("no totals/summary line in callgrind output");
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                   "0123456789_-./=:,+@%") == std::string::npos;
    std::string q = "'";
    for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += (out.empty() ? "" : " ") + (plain ? a : q + "'");
  }
  return out;
}

}  // namespace hmb
