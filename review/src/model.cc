// Loading the live state: registry JSON, ledger JSON lines, topic files, git state, callgrind hotspots.
#include "model.h"

#include "common/git_state.h"
#include "common/ledger_schema.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace hm::review {

using nlohmann::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

const Box* Registry::box(const std::string& name) const {
  for (const auto& b : boxes)
    if (b.name == name) return &b;
  return nullptr;
}

const Gate* Registry::gate(const std::string& name) const {
  for (const auto& g : gates)
    if (g.name == name) return &g;
  return nullptr;
}

int Registry::max_layer() const {
  int m = 0;
  for (const auto& b : boxes) m = std::max(m, b.layer);
  return m;
}

namespace {

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && j[key].is_array())
    for (const auto& v : j[key]) out.push_back(v.get<std::string>());
  return out;
}

std::string str(const json& j, const char* key, const std::string& def = "") {
  if (!j.contains(key) || j[key].is_null()) return def;
  if (j[key].is_string()) return j[key].get<std::string>();
  return j[key].dump();
}

std::optional<double> num(const json& j, const char* key) {
  if (j.contains(key) && j[key].is_number()) return j[key].get<double>();
  return std::nullopt;
}

namespace k = hm_ledger::key;

std::string env_text(const json& side) {
  if (!side.is_object() || !side.contains(k::kEnv) || !side[k::kEnv].is_object() || side[k::kEnv].empty())
    return "(defaults)";
  std::string s;
  for (const auto& [name, v] : side[k::kEnv].items()) {  // nlohmann sorts object keys: deterministic
    if (!s.empty()) s += ' ';
    s += name + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return s;
}

int run_count(const json& side) {
  if (side.is_object() && side.contains(k::kRuns) && side[k::kRuns].is_array()) return int(side[k::kRuns].size());
  return 0;
}

// The schema's confidence rule (tools/common/ledger_schema.h), for entries written before it was recorded.
void judge(LedgerEntry& e) {
  if (!e.ratio_median || !e.spread_min || !e.spread_max) return;
  std::vector<hm_ledger::GuardFigure> guards;
  for (const auto& g : e.guards) guards.push_back({g.profile, g.ratio_median, g.ok});
  hm_ledger::Confidence c = hm_ledger::judge_confidence(
      e.verdict, *e.ratio_median, *e.spread_min, *e.spread_max, e.go_pct.value_or(hm_ledger::kDefaultGoPct),
      e.nogo_pct.value_or(hm_ledger::kDefaultNogoPct), guards);
  e.confident = c.confident;
  e.reason = c.reason;
}

LedgerEntry parse_entry(const json& j, int line) {
  LedgerEntry e;
  e.line = line;
  e.kind = str(j, k::kKind);
  e.date = str(j, k::kDate);
  e.commit = str(j, k::kCommit);
  e.dirty = j.value(k::kDirty, false);
  e.preset = str(j, k::kPreset);
  e.profile = str(j, k::kProfile);
  e.command = str(j, k::kCommand);
  e.metric = str(j, k::kMetric, hm_ledger::kDefaultMetric);
  if (e.kind == hm_ledger::kind::kSbs) {
    e.runs = j.value(k::kRuns, 0);
    if (j.contains(k::kResults) && j[k::kResults].is_array())
      for (const auto& r : j[k::kResults]) {
        SbsResult s;
        s.allocator = str(r, k::kAllocator);
        s.mode = str(r, k::kMode);
        s.ops_per_s = num(r, k::kOpsPerS).value_or(0);
        s.ns_per_op = num(r, k::kNsPerOp).value_or(0);
        s.peak_rss_kb = num(r, k::kPeakRssKb);
        s.instr_per_op = num(r, k::kInstrPerOp);
        e.results.push_back(s);
      }
  } else if (e.kind == hm_ledger::kind::kAb) {
    e.box = str(j, k::kBox);
    e.gate = str(j, k::kGate);
    e.verdict = str(j, k::kVerdict);
    json a = j.value(k::kA, json::object()), b = j.value(k::kB, json::object());
    e.a_env = env_text(a);
    e.b_env = env_text(b);
    e.a_runs = run_count(a);
    e.b_runs = run_count(b);
    e.ratio_median = num(j, k::kRatioMedian);
    if (j.contains(k::kRatios) && j[k::kRatios].is_array())
      for (const auto& r : j[k::kRatios])
        if (r.is_number()) e.ratios.push_back(r.get<double>());
    if (j.contains(k::kSpread) && j[k::kSpread].is_array() && j[k::kSpread].size() == 2 &&
        j[k::kSpread][0].is_number() && j[k::kSpread][1].is_number()) {
      e.spread_min = j[k::kSpread][0].get<double>();
      e.spread_max = j[k::kSpread][1].get<double>();
    }
    if (j.contains(k::kThresholds) && j[k::kThresholds].is_object()) {
      e.go_pct = num(j[k::kThresholds], k::kGoPct);
      e.nogo_pct = num(j[k::kThresholds], k::kNogoPct);
    }
    if (j.contains(k::kGuards) && j[k::kGuards].is_array())
      for (const auto& g : j[k::kGuards])
        e.guards.push_back({str(g, k::kProfile), num(g, k::kRatioMedian), g.value(k::kOk, true)});
    judge(e);
    if (j.contains(k::kConfident) && j[k::kConfident].is_boolean()) e.confident = j[k::kConfident].get<bool>();
    if (j.contains(k::kReason) && j[k::kReason].is_string()) e.reason = j[k::kReason].get<std::string>();
    e.answer = str(j, k::kAnswer);
    e.phase = str(j, k::kPhase);
  }
  return e;
}

}  // namespace

Registry parse_registry(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& ex) {
    throw std::runtime_error("registry JSON: " + std::string(ex.what()));
  }
  if (!j.is_object() || !j.contains("boxes") || !j["boxes"].is_array())
    throw std::runtime_error("registry JSON: no \"boxes\" array");
  Registry r;
  r.source = source;
  for (const auto& b : j["boxes"]) {
    Box x;
    x.name = str(b, "name");
    x.layer = b.value("layer", 0);
    x.job = str(b, "job");
    x.boundary = strings(b, "boundary");
    x.deps = strings(b, "deps");
    x.gates = strings(b, "gates");
    x.invariants = strings(b, "invariants");
    if (x.name.empty()) throw std::runtime_error("registry JSON: a box without a name");
    r.boxes.push_back(std::move(x));
  }
  for (const auto& g : j.value("gates", json::array())) {
    Gate x;
    x.name = str(g, "name");
    x.box = str(g, "box");
    x.type = str(g, "type", "int");
    x.def = str(g, "default");
    x.description = str(g, "description");
    x.min = g.value("min", 0L);
    x.max = g.value("max", 0L);
    r.gates.push_back(std::move(x));
  }
  for (const auto& i : j.value("invariants", json::array()))
    r.invariants.push_back({str(i, "id"), str(i, "box"), str(i, "cost"), str(i, "text")});
  for (const auto& e : j.value("errors", json::array()))
    r.errors.push_back({str(e, "kind"), str(e, "box"), str(e, "invariant")});
  return r;
}

Ledger parse_ledger(const std::string& text, const std::string& display) {
  Ledger l;
  l.display = display;
  l.present = true;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      json j = json::parse(line);
      if (!j.is_object()) throw std::runtime_error("not an object");
      if (std::string kind = j.value(hm_ledger::key::kKind, "");
          kind == hm_ledger::kind::kCheckCost || kind == hm_ledger::kind::kPrograms)
        continue;  // not a verdict nor a profile's side-by-side: bench's alone
      LedgerEntry e = parse_entry(j, n);
      if (e.kind != hm_ledger::kind::kAb && e.kind != hm_ledger::kind::kSbs) {
        l.problems.push_back("line " + std::to_string(n) + ": unknown kind '" + e.kind + "'");
        continue;
      }
      l.entries.push_back(std::move(e));
    } catch (const nlohmann::json::parse_error&) {
      l.problems.push_back("line " + std::to_string(n) + ": not valid JSON (skipped)");
    } catch (const std::exception&) {
      l.problems.push_back("line " + std::to_string(n) + ": not a ledger entry of the documented shape (skipped)");
    }
  }
  return l;
}

Ledger load_ledger(const std::string& path, const std::string& display) {
  if (!std::filesystem::exists(path)) {
    Ledger l;
    l.display = display;
    return l;
  }
  return parse_ledger(read_file(path), display);
}

const LedgerEntry* Ledger::latest_sbs(const std::string& profile) const {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it)
    if (it->kind == "sbs" && (profile.empty() || it->profile == profile) && !it->results.empty()) return &*it;
  return nullptr;
}

std::vector<const LedgerEntry*> Ledger::recent_ab(size_t n) const {
  std::vector<const LedgerEntry*> out;
  for (auto it = entries.rbegin(); it != entries.rend() && out.size() < n; ++it)
    if (it->kind == "ab") out.push_back(&*it);
  return out;
}

const LedgerEntry* Ledger::latest_ab() const {
  auto v = recent_ab(1);
  return v.empty() ? nullptr : v[0];
}

Policy load_policy(const std::string& path, const std::string& display) {
  Policy p;
  if (!std::filesystem::exists(path)) return p;
  json j;
  try {
    j = json::parse(read_file(path));
  } catch (const std::exception& ex) {
    throw std::runtime_error("policy " + display + ": " + ex.what());
  }
  auto need = [&](const char* k) {
    if (!j.contains(k) || !j[k].is_number()) throw std::runtime_error("policy " + display + ": " + k + " is not a number");
    return j[k].get<double>();
  };
  p.runs = int(need("runs"));
  p.min_runs = int(need("min_runs"));
  p.go_pct = need("go_pct");
  p.nogo_pct = need("nogo_pct");
  p.guard_pct = need("guard_pct");
  p.min_threshold_pct = need("min_threshold_pct");
  if (p.min_runs < 1 || p.runs < p.min_runs || p.go_pct <= p.nogo_pct || p.min_threshold_pct < 0)
    throw std::runtime_error("policy " + display + ": needs 1 <= min_runs <= runs, go_pct > nogo_pct, min_threshold_pct >= 0");
  p.source = "`" + display + "`";
  return p;
}

std::optional<Noise> measured_noise(const Ledger& ledger, const std::string& profile, const std::string& metric) {
  std::vector<double> half;
  Noise n;
  for (const auto& e : ledger.entries)
    if (e.kind == "ab" && e.profile == profile && e.metric == metric && e.spread_min && e.spread_max) {
      half.push_back((*e.spread_max - *e.spread_min) / 2.0 * 100.0);
      n.lines.push_back(e.line);
    }
  if (half.empty()) return std::nullopt;
  std::sort(half.begin(), half.end());
  size_t m = half.size() / 2;
  n.pct = half.size() % 2 ? half[m] : (half[m - 1] + half[m]) / 2.0;
  return n;
}

Topic parse_topic(const std::string& text, const std::string& display) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& ex) {
    throw std::runtime_error("topic " + display + ": " + ex.what());
  }
  Topic t;
  t.display = display;
  t.name = str(j, "name");
  if (t.name.empty()) {
    t.name = std::filesystem::path(display).stem().string();
  }
  if (!std::regex_match(t.name, std::regex("[a-z0-9][a-z0-9._-]*")))
    throw std::runtime_error("topic " + display + ": name '" + t.name + "' must be lower-case letters, digits, . _ -");
  t.title = str(j, "title", t.name);
  t.profile = str(j, "profile", "mixed");
  t.reference = str(j, "reference", "mimalloc");
  t.purpose = strings(j, "purpose");
  t.boxes = strings(j, "boxes");
  if (j.contains("builtins"))
    t.builtins = strings(j, "builtins");
  else
    t.builtins = {"Q1", "Q2", "Q3", "Q4", "Q5"};
  for (const auto& c : j.value("candidates", json::array())) t.candidates.push_back({str(c, "id"), str(c, "title"), str(c, "text")});
  for (const auto& q : j.value("questions", json::array())) t.questions.push_back({str(q, "title"), str(q, "text"), strings(q, "format")});
  for (const auto& r : j.value("reading", json::array())) t.reading.push_back({str(r, "path"), str(r, "why")});
  if (std::find(t.builtins.begin(), t.builtins.end(), "Q1") != t.builtins.end() && t.candidates.empty())
    throw std::runtime_error("topic " + display + ": question Q1 needs \"candidates\"");
  for (const auto& b : t.builtins)
    if (b != "Q1" && b != "Q2" && b != "Q3" && b != "Q4" && b != "Q5")
      throw std::runtime_error("topic " + display + ": unknown built-in question '" + b + "' (Q1..Q5)");
  // Purposes state no measured figure by hand: they cite ledger lines ({ledger:N}) the kit renders.
  static const std::regex hand(R"((^|[^A-Za-z0-9_{:.])(~?[0-9]+(\.[0-9]+)?\s*(%|x\b|×|K\b|M\b|MiB|KiB|GiB|instructions|ops)))");
  for (size_t i = 0; i < t.purpose.size(); ++i) {
    std::smatch m;
    if (std::regex_search(t.purpose[i], m, hand))
      throw std::runtime_error("topic " + display + ": purpose " + std::to_string(i + 1) + " states the figure '" +
                               m[2].str() + "' by hand; cite the ledger line instead, as {ledger:N}");
  }
  return t;
}

GitState read_git_state(const std::string& repo) {
  hm_tools::GitState t = hm_tools::git_state(repo);  // the dirty rule: tools/common/git_state.h
  GitState g;
  if (!t.commit.empty()) g.commit = t.commit;
  if (!t.branch.empty()) g.branch = t.branch;
  g.dirty = t.dirty;
  return g;
}

Hotspots parse_callgrind(const std::string& text, const Registry& reg, const std::string& display) {
  Hotspots h;
  h.display = display;
  static const std::regex line_re(R"(^\s*([0-9][0-9,]*)\s+(\(\s*[0-9.]+%\)\s+)?(.*)$)");
  static const std::regex box_re(R"((^|/)alloc/([A-Za-z0-9_]+)/)");
  std::map<std::string, double> per;
  double sum = 0, totals = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, line_re)) continue;
    std::string digits = m[1].str();
    digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
    double ir = std::stod(digits);
    std::string rest = m[3].str();
    if (rest.rfind("PROGRAM TOTALS", 0) == 0) {
      totals = ir;
      continue;
    }
    std::string file = rest.substr(0, rest.find(':'));
    sum += ir;
    std::smatch b;
    std::string fn = rest.find(':') == std::string::npos ? "" : rest.substr(rest.find(':') + 1);
    fn = fn.substr(0, fn.find_first_of(" (['"));
    const Box* owner = nullptr;
    if (std::regex_search(file, b, box_re)) owner = reg.box(b[2].str());
    if (!owner && !fn.empty())
      for (const auto& bx : reg.boxes)
        if (std::find(bx.boundary.begin(), bx.boundary.end(), fn) != bx.boundary.end()) owner = &bx;
    if (owner)
      per[owner->name] += ir;
    else
      h.outside += ir;
  }
  h.total = totals > 0 ? totals : sum;
  for (const auto& [k, v] : per) h.per_box.emplace_back(k, v);
  std::stable_sort(h.per_box.begin(), h.per_box.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return h;
}

std::vector<std::string> known_profiles(const std::string& repo) {
  // The bench tree may publish its profile names in bench/profiles.txt (one per line, '#' comments).
  std::string path = repo + "/bench/profiles.txt";
  if (!repo.empty() && std::filesystem::exists(path)) {
    std::vector<std::string> out;
    std::istringstream in(read_file(path));
    std::string l;
    while (std::getline(in, l)) {
      auto hash = l.find('#');
      if (hash != std::string::npos) l.resize(hash);
      l.erase(0, l.find_first_not_of(" \t"));
      while (!l.empty() && (l.back() == ' ' || l.back() == '\t' || l.back() == '\r')) l.pop_back();
      if (!l.empty()) out.push_back(l);
    }
    if (!out.empty()) return out;
  }
  // Otherwise the runners' canonical list, all_profiles() in bench/runner/benchio.cc ("ring" is its alias
  // for ring:50).
  std::string src = repo + "/bench/runner/benchio.cc";
  if (!repo.empty() && std::filesystem::exists(src)) {
    std::string text = read_file(src);
    auto at = text.find("all_profiles() {");
    auto open = at == std::string::npos ? at : text.find('{', text.find('=', at));
    auto close = open == std::string::npos ? open : text.find('}', open);
    if (close != std::string::npos) {
      std::vector<std::string> out;
      std::string body = text.substr(open, close - open);
      static const std::regex name_re(R"re("([a-z0-9:]+)")re");
      for (std::sregex_iterator it(body.begin(), body.end(), name_re), e; it != e; ++it) out.push_back((*it)[1].str());
      if (std::any_of(out.begin(), out.end(), [](const std::string& p) { return p.rfind("ring:", 0) == 0; }))
        out.push_back("ring");
      if (!out.empty()) return out;
    }
  }
  // Last resort: the profiles the bench issue defines for `hakmem sbs` and `hakmem ab`.
  return {"mixed", "small",   "medium",  "mixed32k", "app",    "realloc", "aligned",
          "ring:0", "ring:50", "ring:90", "larson",   "churn", "ring"};
}

}  // namespace hm::review
