#include "runner/ledger.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>

#include "programs/programs.h"
#include "runner/report.h"

namespace hmb {

using nlohmann::json;

namespace {
void judge_confidence(AbEntry& e);
}

void finish_ab(AbEntry& e) {
  e.a.median = median(e.a.runs);
  e.b.median = median(e.b.runs);
  e.ratios = pair_ratios(e.a.runs, e.b.runs);
  e.ratio_median = median(e.ratios);
  e.spread = spread(e.ratios);
  std::vector<bool> oks;
  for (const auto& g : e.guards) oks.push_back(g.ok);
  e.verdict = with_guards(verdict_for(e.ratio_median, e.thresholds), oks);
  judge_confidence(e);
}

namespace {
// The rule is the schema's (tools/common/ledger_schema.h), shared with the review kit's reader.
void judge_confidence(AbEntry& e) {
  std::vector<hm_ledger::GuardFigure> guards;
  for (const auto& g : e.guards) guards.push_back({g.profile, g.ratio_median, g.ok});
  hm_ledger::Confidence c = hm_ledger::judge_confidence(to_string(e.verdict), e.ratio_median, e.spread.min,
                                                        e.spread.max, e.thresholds.go_pct, e.thresholds.nogo_pct,
                                                        guards);
  e.confident = c.confident;
  e.reason = c.reason;
}
}  // namespace

namespace {

bool absolute(const std::string& s) { return !s.empty() && (s[0] == '/' || s[0] == '~'); }

// An absolute path inside a build tree keeps its `build/...` tail; any other keeps its file name.
std::string portable_path(const std::string& path) {
  if (!absolute(path)) return path;
  auto at = path.rfind("/build/");
  if (at != std::string::npos) return path.substr(at + 1);
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

json machine_json(const Provenance& p) {
  namespace k = hm_ledger::key;
  json m{{k::kCpu, p.cpu}, {k::kCores, p.cores}};
  if (p.line_rtt_ns > 0) m[k::kLineRttNs] = std::round(p.line_rtt_ns);
  return m;
}

json common_json(const Provenance& p, const char* kind) {
  namespace k = hm_ledger::key;
  return json{{k::kSchema, kLedgerSchema}, {k::kKind, kind},         {k::kDate, p.date},
              {k::kCommit, p.commit},      {k::kDirty, p.dirty},     {k::kPreset, p.preset},
              {k::kBinarySha256, p.binary_sha256},
              {k::kMachine, machine_json(p)},
              {k::kCommand, portable_command(p.command)}, {k::kEnv, portable_env(p.env)}, {k::kProfile, p.profile},
              {k::kMetric, p.metric}};
}

Provenance common_from(const json& j) {
  Provenance p;
  p.date = j.at("date");
  p.commit = j.at("commit");
  p.dirty = j.at("dirty");
  p.preset = j.at("preset");
  p.binary_sha256 = j.at("binary_sha256");
  p.cpu = j.at("machine").at("cpu");
  p.cores = j.at("machine").at("cores");
  p.line_rtt_ns = j.at("machine").value(hm_ledger::key::kLineRttNs, hm_ledger::kDefaultLineRttNs);
  p.command = j.at("command");
  if (j.contains("env")) p.env = j.at("env").get<EnvMap>();
  p.profile = j.at("profile");
  p.metric = j.value("metric", "wall");
  return p;
}

json side_json(const AbSide& s) {
  namespace k = hm_ledger::key;
  return {{k::kEnv, s.env}, {k::kRuns, s.runs}, {k::kMedian, s.median}};
}

AbSide side_from(const json& j) {
  return {j.at("env").get<EnvMap>(), j.at("runs").get<std::vector<double>>(), j.at("median")};
}

// Small schema checker: collects "field: problem" strings.
struct Checker {
  std::vector<std::string> problems;
  const json* field(const json& obj, const std::string& name, const std::string& where) {
    if (!obj.is_object() || !obj.contains(name)) {
      problems.push_back(where + name + ": missing");
      return nullptr;
    }
    return &obj.at(name);
  }
  void expect(bool ok, const std::string& what) {
    if (!ok) problems.push_back(what);
  }
  void number(const json& o, const std::string& n, const std::string& w = "") {
    if (auto* f = field(o, n, w)) expect(f->is_number(), w + n + ": not a number");
  }
  void string(const json& o, const std::string& n, const std::string& w = "") {
    if (auto* f = field(o, n, w)) expect(f->is_string(), w + n + ": not a string");
  }
  void numbers(const json& o, const std::string& n, const std::string& w = "") {
    auto* f = field(o, n, w);
    if (!f) return;
    bool ok = f->is_array() && !f->empty();
    if (ok)
      for (const auto& x : *f) ok = ok && x.is_number();
    expect(ok, w + n + ": not a non-empty array of numbers");
  }
  void string_map(const json& o, const std::string& n, const std::string& w = "") {
    auto* f = field(o, n, w);
    if (!f) return;
    bool ok = f->is_object();
    if (ok)
      for (const auto& [k, v] : f->items()) ok = ok && v.is_string();
    expect(ok, w + n + ": not an object of strings");
  }
};

}  // namespace

json to_json(const AbEntry& e) {
  namespace k = hm_ledger::key;
  json j = common_json(e.prov, hm_ledger::kind::kAb);
  j[k::kBox] = e.box;
  j[k::kGate] = e.gate;
  j[k::kA] = side_json(e.a);
  j[k::kB] = side_json(e.b);
  j[k::kRatios] = e.ratios;
  j[k::kRatioMedian] = e.ratio_median;
  j[k::kSpread] = {e.spread.min, e.spread.max};
  j[k::kThresholds] = {{k::kGoPct, e.thresholds.go_pct}, {k::kNogoPct, e.thresholds.nogo_pct}};
  j[k::kVerdict] = to_string(e.verdict);
  j[k::kPairs] = e.ratios.size();
  j[k::kConfident] = e.confident;
  if (!e.reason.empty()) j[k::kReason] = e.reason;
  if (!e.answer.empty()) j[k::kAnswer] = e.answer;
  if (!e.phase.empty()) j[k::kPhase] = e.phase;
  if (!e.pair_rtt_ns.empty()) {
    j[k::kPairRttNs] = json::array();
    for (const auto& [before, after] : e.pair_rtt_ns) j[k::kPairRttNs].push_back({std::round(before), std::round(after)});
  }
  if (!e.guards.empty()) {
    j[k::kGuards] = json::array();
    for (const auto& g : e.guards)
      j[k::kGuards].push_back({{k::kProfile, g.profile}, {k::kRatioMedian, g.ratio_median}, {k::kOk, g.ok}});
  }
  return j;
}

json to_json(const SbsEntry& e) {
  namespace k = hm_ledger::key;
  json j = common_json(e.prov, hm_ledger::kind::kSbs);
  j[k::kRuns] = e.runs;
  j[k::kResults] = json::array();
  for (const auto& r : e.results) {
    json row = {{k::kAllocator, r.allocator}, {k::kMode, r.mode}, {k::kOpsPerS, r.ops_per_s},
                {k::kNsPerOp, r.ns_per_op}, {k::kPeakRssKb, r.peak_rss_kb},
                {k::kFinalRssKb, r.final_rss_kb},
                {k::kInstrPerOp, r.instr_per_op ? json(*r.instr_per_op) : json(nullptr)}};
    if (r.sys_s) row[k::kSysS] = *r.sys_s;
    if (r.minor_faults) row[k::kMinorFaults] = *r.minor_faults;
    if (r.cpu_ns_per_op) row[k::kCpuNsPerOp] = *r.cpu_ns_per_op;
    if (r.steady_ops_per_s) row[k::kSteadyOpsPerS] = *r.steady_ops_per_s, row[k::kSteadyRuns] = r.steady_runs;
    j[k::kResults].push_back(row);
  }
  return j;
}

json to_json(const CheckCostEntry& e) {
  json j = common_json(e.prov, hm_ledger::kind::kCheckCost);
  j["runs"] = e.runs;
  j["programs"] = json::array();
  for (const auto& p : e.programs) {
    json rows = json::array();
    for (const auto& r : p.rows)
      rows.push_back({{"variant", r.variant}, {"gates", r.gates}, {"wall_s", r.wall_s}, {"cpu_s", r.cpu_s},
                      {"peak_rss_kb", r.peak_rss_kb}, {"wall_x_release", r.wall_x_release},
                      {"cpu_x_release", r.cpu_x_release}, {"runs", r.runs}, {"output_matches", r.output_matches}});
    j["programs"].push_back({{"program", p.program}, {"rows", rows}});
  }
  return j;
}

json to_json(const ProgramsEntry& e) {
  json j = common_json(e.prov, hm_ledger::kind::kPrograms);
  j["runs"] = e.runs;
  j["rows"] = json::array();
  for (const auto& r : e.rows) {
    json row = {{"program", r.program},     {"allocator", r.allocator}, {"wall_s", r.wall_s},
                {"cpu_s", r.cpu_s},         {"sys_s", r.sys_s},         {"peak_rss_kb", r.peak_rss_kb},
                {"minor_faults", r.minor_faults}, {"runs", r.runs},     {"output_matches", r.output_matches}};
    if (r.instructions > 0) row["instructions"] = r.instructions;
    if (r.wall_max_s > 0) row["wall_min_s"] = r.wall_min_s, row["wall_max_s"] = r.wall_max_s;
    if (!r.memory_calls.empty()) row["memory_calls"] = r.memory_calls;
    if (r.steady_runs > 0)
      row["steady_wall_s"] = r.steady_wall_s, row["steady_cpu_s"] = r.steady_cpu_s, row["steady_runs"] = r.steady_runs;
    j["rows"].push_back(row);
  }
  return j;
}

namespace {
struct Checker;
void validate_check_cost(Checker& c, const json& j);
void validate_programs(Checker& c, const json& j);
}  // namespace

std::vector<std::string> validate_entry(const json& j) {
  Checker c;
  if (!j.is_object()) return {"entry is not a JSON object"};
  if (auto* f = c.field(j, "schema", "")) c.expect(*f == kLedgerSchema, "schema: not 1");
  std::string kind;
  if (auto* f = c.field(j, "kind", "")) {
    kind = f->is_string() ? f->get<std::string>() : "";
    c.expect(kind == "ab" || kind == "sbs" || kind == "check-cost" || kind == "programs",
             "kind: not \"ab\", \"sbs\", \"check-cost\" or \"programs\"");
  }
  if (auto* f = c.field(j, "date", ""))
    c.expect(f->is_string() && std::regex_match(f->get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")),
             "date: not UTC ISO 8601 (YYYY-MM-DDThh:mm:ssZ)");
  c.string(j, "commit");
  if (auto* f = c.field(j, "dirty", "")) c.expect(f->is_boolean(), "dirty: not a boolean");
  c.string(j, "preset");
  if (auto* f = c.field(j, "binary_sha256", ""))
    c.expect(f->is_string() && std::regex_match(f->get<std::string>(), std::regex("[0-9a-f]{64}")),
             "binary_sha256: not 64 lowercase hex digits");
  if (auto* m = c.field(j, "machine", "")) {
    c.string(*m, "cpu", "machine.");
    if (auto* f = c.field(*m, "cores", "machine.")) c.expect(f->is_number_integer(), "machine.cores: not an integer");
    if (m->contains("line_rtt_ns"))
      c.expect((*m)["line_rtt_ns"].is_number() && (*m)["line_rtt_ns"].get<double>() >= 0,
               "machine.line_rtt_ns: not a number >= 0");
  }
  c.string(j, "command");
  c.string(j, "profile");
  if (j.contains("env")) c.string_map(j, "env");
  if (j.contains("metric"))
    c.expect(j["metric"] == "wall" || j["metric"] == "cpu" || j["metric"] == "instr" || j["metric"] == "rss",
             "metric: not \"wall\", \"cpu\", \"instr\" or \"rss\"");
  if (kind == "ab") {
    c.string(j, "box");
    c.string(j, "gate");
    size_t n = 0;
    for (const char* side : {"a", "b"}) {
      auto* s = c.field(j, side, "");
      if (!s) continue;
      std::string w = std::string(side) + ".";
      c.string_map(*s, "env", w);
      c.numbers(*s, "runs", w);
      c.number(*s, "median", w);
      if (s->contains("runs") && s->at("runs").is_array()) n = n ? n : s->at("runs").size();
    }
    c.numbers(j, "ratios");
    if (j.contains("ratios") && j["ratios"].is_array()) c.expect(j["ratios"].size() == n, "ratios: not one per pair");
    if (j.contains("pair_rtt_ns")) {
      const json& r = j["pair_rtt_ns"];
      bool ok = r.is_array() && r.size() == n;
      for (size_t i = 0; ok && i < r.size(); ++i)
        ok = r[i].is_array() && r[i].size() == 2 && r[i][0].is_number() && r[i][1].is_number() &&
             r[i][0].get<double>() >= 0 && r[i][1].get<double>() >= 0;
      c.expect(ok, "pair_rtt_ns: not one [before, after] pair of numbers >= 0 per pair");
    }
    c.number(j, "ratio_median");
    if (auto* f = c.field(j, "spread", ""))
      c.expect(f->is_array() && f->size() == 2 && (*f)[0].is_number() && (*f)[1].is_number(),
               "spread: not [min, max]");
    if (auto* t = c.field(j, "thresholds", "")) {
      c.number(*t, "go_pct", "thresholds.");
      c.number(*t, "nogo_pct", "thresholds.");
    }
    if (auto* f = c.field(j, "verdict", ""))
      c.expect(f->is_string() && (*f == "GO" || *f == "NO-GO" || *f == "NEUTRAL"), "verdict: not GO/NO-GO/NEUTRAL");
    if (j.contains("pairs")) c.expect(j["pairs"].is_number_integer(), "pairs: not an integer");
    if (j.contains("confident")) c.expect(j["confident"].is_boolean(), "confident: not a boolean");
    for (const char* k : {"reason", "answer", "phase"})
      if (j.contains(k)) c.expect(j[k].is_string(), std::string(k) + ": not a string");
    if (j.contains("guards")) {
      c.expect(j["guards"].is_array(), "guards: not an array");
      for (const auto& g : j["guards"]) {
        c.string(g, "profile", "guards[].");
        c.number(g, "ratio_median", "guards[].");
        if (auto* f = c.field(g, "ok", "guards[].")) c.expect(f->is_boolean(), "guards[].ok: not a boolean");
      }
    }
  } else if (kind == "sbs") {
    if (auto* f = c.field(j, "runs", "")) c.expect(f->is_number_integer(), "runs: not an integer");
    if (auto* f = c.field(j, "results", "")) {
      c.expect(f->is_array(), "results: not an array");
      if (f->is_array())
        for (const auto& r : *f) {
          c.string(r, "allocator", "results[].");
          if (auto* m = c.field(r, "mode", "results[]."))
            c.expect(*m == "inprocess" || *m == "preload", "results[].mode: not inprocess/preload");
          for (const char* k : {"ops_per_s", "ns_per_op", "peak_rss_kb", "final_rss_kb"}) c.number(r, k, "results[].");
          if (auto* f2 = c.field(r, "instr_per_op", "results[]."))
            c.expect(f2->is_number() || f2->is_null(), "results[].instr_per_op: not a number or null");
          for (const char* k : {"sys_s", "minor_faults", "cpu_ns_per_op", "steady_ops_per_s", "steady_runs"})  // optional: absent from older entries
            if (r.is_object() && r.contains(k))
              c.expect(r[k].is_number(), std::string("results[].") + k + ": not a number");
        }
    }
  } else if (kind == hm_ledger::kind::kCheckCost) {
    validate_check_cost(c, j);
  } else if (kind == hm_ledger::kind::kPrograms) {
    validate_programs(c, j);
  }
  return c.problems;
}

namespace {
void validate_check_cost(Checker& c, const json& j) {
  if (auto* f = c.field(j, "runs", "")) c.expect(f->is_number_integer(), "runs: not an integer");
  auto* ps = c.field(j, "programs", "");
  if (!ps) return;
  c.expect(ps->is_array() && !ps->empty(), "programs: not a non-empty array");
  if (!ps->is_array()) return;
  for (const auto& p : *ps) {
    c.string(p, "program", "programs[].");
    auto* rows = c.field(p, "rows", "programs[].");
    if (!rows) continue;
    c.expect(rows->is_array(), "programs[].rows: not an array");
    if (!rows->is_array()) continue;
    for (const auto& r : *rows) {
      const std::string w = "programs[].rows[].";
      c.string(r, "variant", w);
      c.string_map(r, "gates", w);
      for (const char* k : {"wall_s", "cpu_s", "peak_rss_kb", "wall_x_release", "cpu_x_release"}) c.number(r, k, w);
      if (auto* f = c.field(r, "runs", w)) c.expect(f->is_number_integer(), w + "runs: not an integer");
      if (auto* f = c.field(r, "output_matches", w)) c.expect(f->is_boolean(), w + "output_matches: not a boolean");
    }
  }
}

void validate_programs(Checker& c, const json& j) {
  if (auto* f = c.field(j, "runs", "")) c.expect(f->is_number_integer(), "runs: not an integer");
  auto* rows = c.field(j, "rows", "");
  if (!rows) return;
  c.expect(rows->is_array() && !rows->empty(), "rows: not a non-empty array");
  if (!rows->is_array()) return;
  const std::string w = "rows[].";
  for (const auto& r : *rows) {
    c.string(r, "program", w);
    c.string(r, "allocator", w);
    for (const char* k : {"wall_s", "cpu_s", "sys_s", "peak_rss_kb", "minor_faults"}) c.number(r, k, w);
    if (auto* f = c.field(r, "runs", w)) c.expect(f->is_number_integer(), w + "runs: not an integer");
    if (auto* f = c.field(r, "output_matches", w)) c.expect(f->is_boolean(), w + "output_matches: not a boolean");
    if (!r.is_object()) continue;
    for (const char* k : {"instructions", "steady_wall_s", "steady_cpu_s", "wall_min_s", "wall_max_s"})  // optional
      if (r.contains(k)) c.expect(r[k].is_number(), w + k + ": not a number");
    if (r.contains("steady_runs")) c.expect(r["steady_runs"].is_number_integer(), w + "steady_runs: not an integer");
    if (r.contains("memory_calls")) {
      const json& calls = r["memory_calls"];
      bool ok = calls.is_object() && std::all_of(calls.begin(), calls.end(), [](const json& n) { return n.is_number(); });
      c.expect(ok, w + "memory_calls: not an object of numbers");
    }
  }
}

// Throws std::runtime_error unless j is a valid entry of the given kind.
void expect_entry(const json& j, const char* kind) {
  if (auto p = validate_entry(j); !p.empty())
    throw std::runtime_error(std::string("invalid \"") + kind + "\" entry: " + p.front());
  if (j["kind"] != kind) throw std::runtime_error(std::string("not a \"") + kind + "\" entry");
}
}  // namespace

ProgramsEntry programs_from_json(const json& j) {
  expect_entry(j, hm_ledger::kind::kPrograms);
  ProgramsEntry e;
  e.prov = common_from(j);
  e.runs = j["runs"];
  for (const auto& r : j["rows"]) {
    ProgramRow row;
    row.program = r["program"], row.allocator = r["allocator"];
    row.wall_s = r["wall_s"], row.cpu_s = r["cpu_s"], row.sys_s = r["sys_s"], row.peak_rss_kb = r["peak_rss_kb"];
    row.minor_faults = r["minor_faults"], row.runs = r["runs"], row.output_matches = r["output_matches"];
    row.instructions = r.value("instructions", 0.0);
    if (r.contains("memory_calls")) row.memory_calls = r["memory_calls"].get<std::map<std::string, double>>();
    row.steady_wall_s = r.value("steady_wall_s", 0.0), row.steady_cpu_s = r.value("steady_cpu_s", 0.0);
    row.steady_runs = r.value("steady_runs", 0);
    row.wall_min_s = r.value("wall_min_s", 0.0), row.wall_max_s = r.value("wall_max_s", 0.0);
    e.rows.push_back(row);
  }
  return e;
}

CheckCostEntry check_cost_from_json(const json& j) {
  expect_entry(j, hm_ledger::kind::kCheckCost);
  CheckCostEntry e;
  e.prov = common_from(j);
  e.runs = j["runs"];
  for (const auto& p : j["programs"]) {
    CheckCostProgram cp;
    cp.program = p["program"];
    for (const auto& r : p["rows"])
      cp.rows.push_back({r["variant"], r["gates"].get<EnvMap>(), r["wall_s"], r["cpu_s"], r["peak_rss_kb"],
                         r["wall_x_release"], r["cpu_x_release"], r["runs"], r["output_matches"]});
    e.programs.push_back(cp);
  }
  return e;
}

AbEntry ab_from_json(const json& j) {
  expect_entry(j, hm_ledger::kind::kAb);
  AbEntry e;
  e.prov = common_from(j);
  e.box = j["box"];
  e.gate = j["gate"];
  e.a = side_from(j["a"]);
  e.b = side_from(j["b"]);
  e.ratios = j["ratios"].get<std::vector<double>>();
  e.ratio_median = j["ratio_median"];
  e.spread = {j["spread"][0], j["spread"][1]};
  e.thresholds = {j["thresholds"]["go_pct"], j["thresholds"]["nogo_pct"]};
  e.verdict = verdict_from_string(j["verdict"]);
  if (j.contains("guards"))
    for (const auto& g : j["guards"]) e.guards.push_back({g["profile"], g["ratio_median"], g["ok"]});
  e.answer = j.value("answer", "");
  e.phase = j.value("phase", "");
  if (j.contains("pair_rtt_ns"))
    for (const auto& p : j["pair_rtt_ns"]) e.pair_rtt_ns.push_back({p[0].get<double>(), p[1].get<double>()});
  // Entries written before confidence was recorded get it from their own figures.
  judge_confidence(e);
  return e;
}

SbsEntry sbs_from_json(const json& j) {
  expect_entry(j, hm_ledger::kind::kSbs);
  SbsEntry e;
  e.prov = common_from(j);
  e.runs = j["runs"];
  for (const auto& r : j["results"]) {
    SbsRow row;
    row.allocator = r["allocator"], row.mode = r["mode"], row.ops_per_s = r["ops_per_s"];
    row.ns_per_op = r["ns_per_op"], row.peak_rss_kb = r["peak_rss_kb"], row.final_rss_kb = r["final_rss_kb"];
    if (!r["instr_per_op"].is_null()) row.instr_per_op = r["instr_per_op"].get<double>();
    if (r.contains("sys_s")) row.sys_s = r["sys_s"].get<double>();
    if (r.contains("minor_faults")) row.minor_faults = r["minor_faults"].get<double>();
    if (r.contains("cpu_ns_per_op")) row.cpu_ns_per_op = r["cpu_ns_per_op"].get<double>();
    if (r.contains("steady_ops_per_s")) {
      row.steady_ops_per_s = r["steady_ops_per_s"].get<double>();
      row.steady_runs = r.value("steady_runs", 0);
    }
    e.results.push_back(row);
  }
  return e;
}

std::vector<json> read_ledger(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path);
  if (!in) return out;
  std::string line;
  for (int no = 1; std::getline(in, line); ++no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error(path + ":" + std::to_string(no) + ": not JSON");
    if (auto p = validate_entry(j); !p.empty())
      throw std::runtime_error(path + ":" + std::to_string(no) + ": " + p.front());
    out.push_back(std::move(j));
  }
  return out;
}

std::string portable_command(const std::string& command) {
  std::string out, tok;
  auto flush = [&] {
    if (tok.empty()) return;
    std::string quote;
    if (tok.size() >= 2 && (tok.front() == '\'' || tok.front() == '"') && tok.back() == tok.front()) {
      quote = tok.substr(0, 1);
      tok = tok.substr(1, tok.size() - 2);
    }
    auto eq = tok.find('=');
    if (tok.rfind("--", 0) == 0 && eq != std::string::npos)
      tok = tok.substr(0, eq + 1) + portable_path(tok.substr(eq + 1));
    else
      tok = portable_path(tok);
    out += (out.empty() ? "" : " ") + quote + tok + quote;
    tok.clear();
  };
  for (char c : command) {
    if (c == ' ') flush();
    else tok += c;
  }
  flush();
  return out;
}

EnvMap portable_env(const EnvMap& env) {
  EnvMap out;
  for (const auto& [k, v] : env)
    if (k.rfind("HAKMEM_", 0) == 0 || k.rfind("HMB_", 0) == 0) out[k] = v;
  return out;
}

bool make_portable(json& j) {
  bool changed = false;
  if (j.contains("command") && j["command"].is_string()) {
    std::string c = portable_command(j["command"].get<std::string>());
    changed = changed || c != j["command"].get<std::string>();
    j["command"] = c;
  }
  if (j.contains("env") && j["env"].is_object()) {
    EnvMap e = portable_env(j["env"].get<EnvMap>());
    changed = changed || e.size() != j["env"].size();
    j["env"] = e;
  }
  return changed;
}

int migrate_ledger(const std::string& path) {
  std::ifstream in(path);
  if (!in) return 0;
  std::string text, line;
  int changed = 0;
  for (int no = 1; std::getline(in, line); ++no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error(path + ":" + std::to_string(no) + ": not JSON");
    if (make_portable(j)) {
      ++changed;
      line = j.dump();
    }
    text += line + "\n";
  }
  in.close();
  if (!changed) return 0;
  std::string tmp = path + ".migrate";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!(out << text) || !out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
  return changed;
}

void append_ledger(const std::string& path, const json& entry) {
  if (auto p = validate_entry(entry); !p.empty()) throw std::runtime_error("refusing to append: " + p.front());
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
  migrate_ledger(path);
  json portable = entry;
  make_portable(portable);
  std::ofstream out(path, std::ios::app);
  if (!out) throw std::runtime_error("cannot open " + path);
  out << portable.dump() << "\n";
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

namespace {

std::string short_commit(const json& j) {
  std::string c = j["commit"].get<std::string>().substr(0, 10);
  return j["dirty"].get<bool>() ? c + "+dirty" : c;
}

// ", line round trip N ns" when the entry measured it.
std::string line_rtt_note(const Provenance& p) {
  if (p.line_rtt_ns <= 0) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, ", line round trip %.0f ns", p.line_rtt_ns);
  return buf;
}

std::string env_list(const json& env) {
  std::string out;
  for (const auto& [k, v] : env.items()) out += (out.empty() ? "" : " ") + k + "=" + v.get<std::string>();
  return out.empty() ? "(defaults)" : out;
}

std::string ab_table(const std::vector<json>& ab) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& j : ab) {
    std::string guards;
    if (j.contains("guards"))
      for (const auto& g : j["guards"])
        guards += (guards.empty() ? "" : ", ") + g["profile"].get<std::string>() + " " +
                  fmt_pct(g["ratio_median"]) + (g["ok"].get<bool>() ? " ok" : " FAIL");
    // ops/s; for the instr metric (ops per 10^9 instructions) instructions per op; for the rss
    // metric (10^6 / peak KiB) the peak in MiB
    std::string metric = j.value("metric", "wall");
    auto figure = [&](double f) {
      if (metric == "instr") return fmt_fixed(1e9 / f, 2) + " instr/op";
      if (metric == "rss") return fmt_fixed(1e6 / f / 1024, 2) + " MiB peak";
      return fmt_rate(f);
    };
    AbEntry e = ab_from_json(j);
    std::string conf = e.confident ? "yes" : "no";
    if (!e.reason.empty()) conf += ", " + e.reason;
    // The pairs wholly in the closest machine state the run saw, and what they alone would decide.
    std::string steady = "-";
    if (!e.pair_rtt_ns.empty())
      if (SteadyPairs st = steady_pairs(e.ratios, e.pair_rtt_ns); st.n)
        steady = fmt_pct(st.ratio_median) + " (" + std::to_string(st.n) + ", " +
                 to_string(verdict_for(st.ratio_median, e.thresholds)) + ")";
    rows.push_back({j["date"], short_commit(j), j["preset"], j["box"], j["gate"], j["profile"], j.value("metric", "wall"), env_list(j["a"]["env"]),
                    env_list(j["b"]["env"]), std::to_string(j["a"]["runs"].size()), figure(j["a"]["median"]),
                    figure(j["b"]["median"]), fmt_pct(j["ratio_median"]),
                    fmt_pct(j["spread"][0]) + " .. " + fmt_pct(j["spread"][1]), "**" + j["verdict"].get<std::string>() + "**",
                    conf, steady, guards.empty() ? "-" : guards});
  }
  return render_table({"date", "commit", "preset", "box", "gate", "profile", "metric", "A", "B", "runs", "A median", "B median",
                       "B/A", "spread", "verdict", "confident", "steady pairs' B/A (pairs, verdict)", "guards"},
                      rows, TableStyle::Markdown, 9);
}

// One row per program and entry: the medians' CPU (and wall) time of each variant over release's.
std::string check_cost_table(const std::vector<json>& checks) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& j : checks) {
    CheckCostEntry e = check_cost_from_json(j);
    for (const auto& p : e.programs) {
      std::vector<std::string> row = {e.prov.date, short_commit(j), p.program, std::to_string(e.runs)};
      for (const char* v : {"check0", "check1", "check2"}) {
        auto r = std::find_if(p.rows.begin(), p.rows.end(), [&](const CheckCostRow& x) { return x.variant == v; });
        row.push_back(r == p.rows.end() || r->cpu_x_release <= 0
                          ? "-"
                          : fmt_fixed(r->cpu_x_release, 2) + "x (" + fmt_fixed(r->wall_x_release, 2) + "x)" +
                                (r->output_matches ? "" : " output differs"));
      }
      rows.push_back(row);
    }
  }
  return render_table({"date", "commit", "program", "runs", "HAKMEM_CHECK=0 cpu (wall) x release", "CHECK=1", "CHECK=2"},
                      rows, TableStyle::Markdown, 3);
}

}  // namespace

std::string render_ledger_md(const std::vector<json>& entries) {
  std::vector<json> ab, sbs, checks, programs;
  for (const auto& j : entries) {
    if (auto p = validate_entry(j); !p.empty()) throw std::runtime_error("invalid ledger entry: " + p.front());
    (j["kind"] == "ab" ? ab : j["kind"] == "sbs" ? sbs : j["kind"] == "programs" ? programs : checks).push_back(j);
  }
  std::string md = "# Benchmark ledger\n\n";
  md += "Generated from `ledger.jsonl` by `hakmem ab`, `hakmem sbs` and `hakmem-programs`; do not edit by hand.\n";
  md += std::to_string(entries.size()) + " entries: " + std::to_string(ab.size()) + " A/B, " +
        std::to_string(sbs.size()) + " side-by-side" +
        (programs.empty() ? "" : ", " + std::to_string(programs.size()) + " programs") +
        (checks.empty() ? "" : ", " + std::to_string(checks.size()) + " check cost") + ". Ratios are B/A (A/B) or ops/s relative to the row named.\n\n";
  md += "## A/B verdicts\n\n";
  md += ab.empty() ? "No A/B entries yet.\n" : ab_table(ab);
  md += "\n## Side-by-side\n";
  if (sbs.empty()) md += "\nNo side-by-side entries yet.\n";
  for (const auto& j : sbs) {
    SbsEntry e = sbs_from_json(j);
    md += "\n### " + e.prov.profile + " (" + e.prov.date + ", " + short_commit(j) + ", " + e.prov.preset + ", " +
          std::to_string(e.runs) + " runs, " + e.prov.metric + " metric, " + e.prov.cpu + " x" + std::to_string(e.prov.cores) +
          line_rtt_note(e.prov) + ")\n\n";
    md += format_sbs_table(e.results, TableStyle::Markdown);
  }
  if (!programs.empty()) md += "\n## Programs side by side\n";
  for (const auto& j : programs) {
    ProgramsEntry e = programs_from_json(j);
    for (size_t first = 0, end = 0; first < e.rows.size(); first = end) {
      for (end = first; end < e.rows.size() && e.rows[end].program == e.rows[first].program;) ++end;
      md += "\n### " + e.rows[first].program + " (" + e.prov.date + ", " + short_commit(j) + ", " + e.prov.preset +
            ", " + std::to_string(e.runs) + " runs, " + e.prov.cpu + " x" + std::to_string(e.prov.cores) +
            line_rtt_note(e.prov) + ")\n\n";
      md += format_programs_table({e.rows.begin() + static_cast<std::ptrdiff_t>(first), e.rows.begin() + static_cast<std::ptrdiff_t>(end)},
                                  TableStyle::Markdown);
    }
  }
  if (!checks.empty()) md += "\n## Check cost (debug build vs release)\n\n" + check_cost_table(checks);
  return md;
}

}  // namespace hmb
