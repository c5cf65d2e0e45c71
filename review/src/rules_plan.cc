// Rules on the A/B plan: each row is one same-binary comparison the planner turns into `hakmem ab`.
#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <sstream>

#include "answer.h"
#include "doc.h"
#include "questionnaire.h"

namespace hm::review {

namespace {

using Assign = std::map<std::string, std::string>;

// A side is a value of the row's gate or a comma list HAKMEM_X=v; anything else (a build directory, a
// library to preload, another variable) is not a gate setting.
std::optional<Assign> parse_side(const std::string& gate, const std::string& v) {
  static const std::regex value_re(R"([A-Za-z0-9._:+-]+)"), assign_re(R"((HAKMEM_[A-Z0-9_]+)=([A-Za-z0-9._:+-]*))");
  Assign out;
  if (v.find('=') == std::string::npos) {
    if (!std::regex_match(v, value_re)) return std::nullopt;
    out[gate] = v;
    return out;
  }
  for (const auto& part : split_list(v)) {
    std::smatch m;
    if (!std::regex_match(part, m, assign_re)) return std::nullopt;
    out[m[1].str()] = m[2].str();
  }
  if (out.empty()) return std::nullopt;
  return out;
}

Assign parse_banned(const std::string& s) {  // "HAKMEM_X=1 HAKMEM_Y=2"
  Assign out;
  std::istringstream in(s);
  for (std::string w; in >> w;)
    if (auto eq = w.find('='); eq != std::string::npos) out[w.substr(0, eq)] = w.substr(eq + 1);
  return out;
}

}  // namespace

void check_plan(const Doc& d, const CheckContext& ctx, const std::set<std::string>& boxes,
                const std::set<std::string>& gates, Add p) {
  const auto* s = section(d, "A/B plan");
  if (!s) return;
  auto t = table_in(d, s->line, s->end);
  if (!t) return;
  auto add = [&](int line, const std::string& rule, const std::string& text) { p.push_back({line, text, rule, false}); };
  std::set<std::string> profiles(ctx.profiles.begin(), ctx.profiles.end());
  auto need_profile = [&](int line, const std::string& pr) {
    if (!profiles.count(pr)) add(line, "ANS-PROFILE", "profile '" + pr + "' is not a profile of the A/B runner");
  };
  bool evidence = false;
  for (int n = 1; n <= int(d.lines.size()); ++n)
    if (auto e = labelled(d, n, n, kNewEvidence); e && !e->second.empty()) evidence = true;
  const Policy& pol = ctx.policy;
  for (const auto& r : t->rows) {
    std::string box = cell(r, "box"), g = cell(r, "gate"), profile = cell(r, "profile"), metric = lower(cell(r, "metric"));
    if (!box.empty() && !boxes.count(box))
      add(r.line, "ANS-BOX", "box '" + box + "' in `## A/B plan` is neither in the registry nor declared new in `## Boxes`");
    if (!std::regex_match(g, gate_re()))
      add(r.line, "ANS-GATE-NAME", "gate name '" + g + "' does not match HAKMEM_[A-Z0-9_]+");
    else if (!gates.count(g))
      add(r.line, "ANS-GATE-UNKNOWN", "gate " + g + " is neither in the registry nor declared in `## Gates`");
    need_profile(r.line, profile);
    for (const auto& gp : split_list(cell(r, "guards"))) need_profile(r.line, gp);
    if (std::find(kMetrics.begin(), kMetrics.end(), metric) == kMetrics.end())
      add(r.line, "ANS-AB-METRIC", "metric '" + cell(r, "metric") + "' is not one of cpu, wall, instr, rss");

    std::optional<Assign> sa, sb;
    for (const char* side : {"a", "b"}) {
      std::string v = cell(r, side);
      auto parsed = parse_side(g, v);
      if (!parsed)
        add(r.line, "ANS-AB-SIDE", std::string("side ") + side + " '" + v +
                                       "' is not a gate setting: give a value of the row's gate or HAKMEM_X=value "
                                       "(an A/B runs one binary under two environments, never two builds or a preload)");
      (std::string(side) == "a" ? sa : sb) = parsed;
      if (!parsed || !ctx.reg) continue;
      for (const auto& [name, value] : *parsed) {
        const Gate* rg = ctx.reg->gate(name);
        if (!rg || rg->type != "int") continue;
        auto num = number(value);
        if (!num || *num != std::floor(*num) || *num < double(rg->min) || *num > double(rg->max))
          add(r.line, "ANS-AB-RANGE", std::string("side ") + side + " sets " + name + "=" + value + ", outside its range " +
                                          std::to_string(rg->min) + "–" + std::to_string(rg->max) + " in the registry");
      }
    }
    if (sa && sb && *sa == *sb) add(r.line, "ANS-AB-SAME", "sides a and b are the same setting; the A/B compares nothing");

    std::string runs = cell(r, "runs");
    if (!std::regex_match(runs, std::regex("[1-9][0-9]*")))
      add(r.line, "ANS-AB-RUNS", "runs '" + runs + "' is not a positive whole number");
    else if (std::stoi(runs) < pol.min_runs)
      add(r.line, "ANS-AB-RUNS", "runs " + runs + " is below the policy minimum of " + std::to_string(pol.min_runs) +
                                     " (" + pol.source + ")");

    auto go = number(cell(r, "go %")), nogo = number(cell(r, "no-go %"));
    if (!go) add(r.line, "ANS-AB-THRESHOLD", "GO threshold '" + cell(r, "go %") + "' is not a number");
    if (!nogo) add(r.line, "ANS-AB-THRESHOLD", "NO-GO threshold '" + cell(r, "no-go %") + "' is not a number");
    if (go && nogo && *go <= *nogo) add(r.line, "ANS-AB-THRESHOLD", "GO threshold must be above the NO-GO threshold");
    if (go && nogo && *go > *nogo) {
      // At least the policy's least threshold; strictly above the measured noise.
      double floor = pol.min_threshold_pct;
      bool noise = false;
      std::string why = "the policy's least threshold (" + pol.source + ")";
      if (ctx.ledger)
        if (auto nz = measured_noise(*ctx.ledger, profile, metric); nz && nz->pct >= floor) {
          floor = nz->pct;
          noise = true;
          why = "the measured noise of profile " + profile + ", metric " + metric + " (median half-spread of " +
                std::to_string(nz->lines.size()) + " A/B entries of `" + ctx.ledger->display + "`)";
        }
      if (noise ? (*go <= floor || *nogo >= -floor) : (*go < floor || *nogo > -floor))
        add(r.line, "ANS-AB-NOISE", "thresholds " + fmt_threshold(*go) + " / " + fmt_threshold(*nogo) +
                                        " lie within ±" + fmt_num(floor, 2) + "%, " + why);
    }
    if (sb && ctx.questionnaire && !evidence)
      for (const auto& ban : ctx.questionnaire->banned)
        if (parse_banned(ban) == *sb)
          add(r.line, "ANS-NOGO-REPEAT", "`" + ban + "` is on the questionnaire's \"Do not propose\" list (a NO-GO); "
                                         "add a line `" + std::string(kNewEvidence) + " ...` saying what changed");
  }
}

}  // namespace hm::review
