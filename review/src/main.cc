// hakmem-review: design-review questionnaires from the live state, the answer checker and the A/B planner.
//   hakmem review questionnaire --topic FILE [options]   write docs/questionnaire/<topic>.md, its answer template
//                                                        and docs/boxes/graph.{dot,svg,txt}
//   hakmem review graph [--check] [options]              write (or only check) the box graph
//   hakmem review check-answer ANSWER.md [--questionnaire Q.md] [--registry FILE]
//   hakmem review plan ANSWER.md [--questionnaire Q.md] [--registry FILE]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "answer.h"
#include "cli.h"
#include "hotspots.h"
#include "identity.h"
#include "loop.h"
#include "graph.h"
#include "model.h"
#include "questionnaire.h"

namespace fs = std::filesystem;
using namespace hm::review;

namespace {

const char* kUsage =
    "usage: hakmem review <command> [options]   (hakmem review <command> --help for one command)\n"
    "  questionnaire  write a topic's questionnaire, its answer template and the box graph\n"
    "  graph          write (or with --check only check) the box graph\n"
    "  check-answer   check an answer against the questionnaire, registry and ledger\n"
    "  plan           check an answer, then print its A/B plan as `hakmem ab ...` commands\n"
    "  record         write a topic's decisions record from the ledger runs an answer's plan made\n"
    "  compare        put several answers' rankings, recommendations and plans side by side\n"
    "  status         list the committed questionnaires, how far behind HEAD, answers and decisions\n"
    "Defaults: --repo is the git top level of the current directory; --registry is the registry linked into\n"
    "this program; --ledger is bench/ledger/ledger.jsonl; --out docs/questionnaire; --graph-out docs/boxes;\n"
    "--profiles are read from the bench tree.\n";

// One command's options: those taking a value, the flags, and its help text.
struct Spec {
  std::string name;
  std::vector<std::string> values, flags;
  const char* help;
};

const std::vector<Spec>& specs() {
  static const std::vector<Spec> s = {
      {"questionnaire",
       {"--topic", "--registry", "--ledger", "--policy", "--callgrind", "--bench", "--hotspot-cache", "--date",
        "--git-commit", "--git-branch", "--git-dirty", "--out", "--graph-out", "--tree", "--repo", "--profiles"},
       {"--no-hotspots", "--help"},
       "usage: hakmem review questionnaire --topic FILE [options]\n"
       "  write <out>/<topic>.md, <out>/<topic>.answer-template.md and <graph-out>/graph.{dot,svg,txt}\n"
       "  --topic FILE        topic file (review/topics/*.json), required\n"
       "  --registry FILE     registry dump (default: the registry linked into this program)\n"
       "  --ledger FILE       benchmark ledger (default bench/ledger/ledger.jsonl)\n"
       "  --policy FILE       A/B policy: runs and thresholds (default bench/ledger/policy.json)\n"
       "  --callgrind FILE    callgrind_annotate output for the hotspot table (default: profile the topic's\n"
       "                      profile with callgrind on hakmem-bench, cached per commit)\n"
       "  --bench FILE        hakmem-bench to profile (default: built in build/review-profile with the release\n"
       "                      flags plus -g, so instructions map to their box; else the one beside this program)\n"
       "  --hotspot-cache DIR where profiles are cached (default build/review-cache)\n"
       "  --no-hotspots       no hotspot table\n"
       "  --date YYYY-MM-DD   date printed in the header (default today, UTC)\n"
       "  --git-commit X --git-branch Y --git-dirty 0|1   git state to print instead of the repo's\n"
       "  --out DIR           output folder (default docs/questionnaire)\n"
       "  --graph-out DIR     box graph folder (default docs/boxes)\n"
       "  --tree DIR          source tree to scan (default the repo)\n"
       "  --repo DIR          repository root (default the git top level)\n"
       "  --profiles a,b,...  A/B profiles (default read from the bench tree)\n"},
      {"graph",
       {"--registry", "--tree", "--graph-out", "--repo"},
       {"--check", "--help"},
       "usage: hakmem review graph [--check] [--registry FILE] [--tree DIR] [--graph-out DIR] [--repo DIR]\n"
       "  write graph.{dot,svg,txt}; with --check only check the includes of alloc/ (exit 1 on undeclared edges)\n"},
      {"check-answer",
       {"--questionnaire", "--registry", "--ledger", "--policy", "--repo", "--profiles"},
       {"--help"},
       "usage: hakmem review check-answer ANSWER.md [options]\n"
       "  print each problem as ANSWER.md:LINE: RULE-ID: problem (warnings too); exit 1 on any error\n"
       "  --questionnaire Q.md  the questionnaire answered (default: found by the answer's ID in docs/questionnaire)\n"
       "  --registry FILE       registry dump (default: the registry linked into this program)\n"
       "  --ledger FILE         ledger the cited lines and noise come from (default bench/ledger/ledger.jsonl)\n"
       "  --policy FILE         A/B policy: runs and thresholds (default bench/ledger/policy.json)\n"
       "  --repo DIR            repository root, for repo paths (default the git top level)\n"
       "  --profiles a,b,...    A/B profiles (default read from the bench tree)\n"},
      {"plan",
       {"--questionnaire", "--registry", "--ledger", "--policy", "--repo", "--profiles"},
       {"--help"},
       "usage: hakmem review plan ANSWER.md [options]\n"
       "  check the answer (options as check-answer), then print its A/B plan as `hakmem ab ...` commands; each\n"
       "  passes the answer's ID and phase on (--answer, --phase) so its ledger entry names them\n"},
      {"record",
       {"--ledger", "--policy", "--out", "--repo"},
       {"--help"},
       "usage: hakmem review record ANSWER.md [--out FILE] [--ledger FILE] [--policy FILE] [--repo DIR]\n"
       "  put the answer's decisions, generated from the ledger entries its plan made, into the topic's decisions\n"
       "  record (default docs/questionnaire/<topic>.decisions.md): its block is replaced when present, else\n"
       "  appended; text written by hand is kept\n"},
      {"compare",
       {"--repo"},
       {"--help"},
       "usage: hakmem review compare A.md B.md ...\n"
       "  print several answers' rankings, recommendations and A/B plans side by side (Markdown)\n"},
      {"status",
       {"--repo", "--dir"},
       {"--help"},
       "usage: hakmem review status [--dir DIR] [--repo DIR]\n"
       "  list the committed questionnaires (default docs/questionnaire), how far each is behind HEAD, and\n"
       "  whether answers and a decisions record exist\n"},
  };
  return s;
}


int parse_args(int argc, char** argv, Args& a, const Spec*& spec) {
  spec = nullptr;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  a.cmd = argv[1];
  if (a.cmd == "-h" || a.cmd == "--help" || a.cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  for (const auto& s : specs())
    if (s.name == a.cmd) spec = &s;
  if (!spec) {
    std::fprintf(stderr, "hakmem review: unknown command '%s'\n%s", a.cmd.c_str(), kUsage);
    return 2;
  }
  auto has = [](const std::vector<std::string>& v, const std::string& k) {
    return std::find(v.begin(), v.end(), k) != v.end();
  };
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "-h") s = "--help";
    if (s.rfind("--", 0) != 0 || s == "--") {
      if (s != "--") a.positional.push_back(s);
      continue;
    }
    std::string key = s, value;
    bool inline_value = false;
    if (auto eq = s.find('='); eq != std::string::npos) {
      key = s.substr(0, eq);
      value = s.substr(eq + 1);
      inline_value = true;
    }
    if (has(spec->flags, key) && !inline_value) {
      a.opt[key] = "1";
    } else if (has(spec->values, key)) {
      if (!inline_value) {
        if (i + 1 >= argc) {
          std::fprintf(stderr, "hakmem review %s: option %s needs a value\n", a.cmd.c_str(), key.c_str());
          return 2;
        }
        value = argv[++i];
      }
      a.opt[key] = value;
    } else {
      std::fprintf(stderr, "hakmem review %s: unknown option '%s' (see hakmem review %s --help)\n", a.cmd.c_str(),
                   key.c_str(), a.cmd.c_str());
      return 2;
    }
  }
  if (a.flag("--help")) {
    std::fputs(spec->help, stdout);
    return 0;
  }
  return -1;
}

}  // namespace

namespace hm::review {

std::string capture(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  std::string out;
  char buf[1024];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string repo_root(const Args& a) {
  if (a.flag("--repo")) return fs::absolute(a.get("--repo")).lexically_normal().string();
  std::string top = capture("git rev-parse --show-toplevel 2>/dev/null");
  if (top.empty())
    throw std::runtime_error("not inside a git repository (" + fs::current_path().string() +
                             "); run from the hakmem checkout or pass --repo DIR");
  return top;
}

bool inside(const std::string& path, const std::string& repo) {
  fs::path rel = fs::absolute(path).lexically_normal().lexically_relative(fs::path(repo).lexically_normal());
  return !rel.empty() && rel.native().rfind("..", 0) != 0;
}

// Repo-relative form of a path when it lies inside the repo, else its file name (documents never show
// absolute paths).
std::string display(const std::string& path, const std::string& repo) {
  fs::path abs = fs::absolute(path).lexically_normal();
  if (inside(path, repo)) return abs.lexically_relative(fs::path(repo).lexically_normal()).generic_string();
  return abs.filename().string();
}

Registry load_registry(const Args& a, const std::string& repo) {
  if (a.flag("--registry")) {
    std::string f = a.get("--registry");
    return parse_registry(read_file(f), "file `" + display(f, repo) + "`");
  }
  return linked_registry("`hakmem registry --json`");
}

// --profiles a,b,c overrides the list read from the bench tree (tests use it to stay independent of bench/).
std::vector<std::string> profiles(const Args& a, const std::string& repo) {
  if (!a.flag("--profiles")) return known_profiles(repo);
  std::vector<std::string> out;
  std::string s = a.get("--profiles"), cur;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += s[i];
    }
  }
  return out;
}

std::string today_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[16];
  std::strftime(b, sizeof b, "%Y-%m-%d", &tm);
  return b;
}

Policy load_policy_of(const Args& a, const std::string& repo) {
  std::string f = a.get("--policy", repo + "/bench/ledger/policy.json");
  return load_policy(f, display(f, repo));
}

}  // namespace hm::review

namespace {

std::vector<std::string> write_graph(const Registry& reg, const GraphCheck& chk, const std::string& dir,
                                     const std::string& repo) {
  std::vector<std::string> written;
  std::string dot = (fs::path(dir) / "graph.dot").string(), txt = (fs::path(dir) / "graph.txt").string(),
              svg = (fs::path(dir) / "graph.svg").string();
  write_file(dot, graph_dot(reg, chk));
  write_file(txt, graph_text(reg, chk));
  written = {display(dot, repo), display(txt, repo)};
  if (std::system("command -v dot >/dev/null 2>&1") != 0) {
    std::fprintf(stderr,
                 "hakmem review: graphviz `dot` is not installed (Debian package graphviz), so %s was not "
                 "written; graph.dot and graph.txt were\n",
                 display(svg, repo).c_str());
  } else if (std::system(("dot -Tsvg '" + dot + "' -o '" + svg + "'").c_str()) != 0) {
    std::fprintf(stderr, "hakmem review: `dot -Tsvg` failed; %s not written\n", display(svg, repo).c_str());
  } else {
    written.push_back(display(svg, repo));
  }
  return written;
}

void print_undeclared(const GraphCheck& chk) {
  for (const auto& e : chk.undeclared)
    std::fprintf(stderr, "%s:%d: include edge %s -> %s is not declared in the registry (deps of %s)\n",
                 e.file.c_str(), e.line, e.from.c_str(), e.to.c_str(), e.from.c_str());
}

int cmd_questionnaire(const Args& a) {
  std::string repo = repo_root(a);
  if (!a.flag("--topic")) {
    std::fputs("hakmem review questionnaire: --topic FILE is required\n", stderr);
    return 2;
  }
  Inputs in;
  in.reg = load_registry(a, repo);
  in.topic = parse_topic(read_file(a.get("--topic")), display(a.get("--topic"), repo));
  for (const auto& b : in.topic.boxes)
    if (!in.reg.box(b))
      std::fprintf(stderr, "hakmem review: topic box '%s' is not in the registry (ignored)\n", b.c_str());
  std::string ledger = a.get("--ledger", repo + "/bench/ledger/ledger.jsonl");
  in.ledger = load_ledger(ledger, display(ledger, repo));
  if (a.flag("--git-commit") || a.flag("--git-branch") || a.flag("--git-dirty")) {
    in.git.commit = a.get("--git-commit", "(none)");
    in.git.branch = a.get("--git-branch", "(none)");
    in.git.dirty = a.get("--git-dirty", "0") == "1";
  } else {
    in.git = read_git_state(repo);
  }
  in.date = a.get("--date", today_utc());
  in.tree = a.get("--tree", repo);
  in.graph = check_graph(in.tree, in.reg);
  if (a.flag("--callgrind")) {
    std::string f = a.get("--callgrind");
    in.hotspots = parse_callgrind(read_file(f), in.reg, display(f, repo));
  } else if (!a.flag("--no-hotspots")) {
    HotspotRequest r;
    r.bench = a.get("--bench", (fs::read_symlink("/proc/self/exe").parent_path() / "hakmem-bench").string());
    if (!a.flag("--bench")) {  // default: a build of the same code with debug information
      r.source_dir = repo;
      r.build_dir = repo + "/build/review-profile";
      r.build_display = display(r.build_dir, repo);
    }
    r.profile = in.topic.profile;
    r.git = in.git;
    r.cache_dir = a.get("--hotspot-cache", repo + "/build/review-cache");
    r.bench_display = display(r.bench, repo);
    r.cache_display = display(r.cache_dir, repo);
    std::string how, why;
    if (auto text = default_hotspots(r, how, why)) {
      in.hotspots = parse_callgrind(*text, in.reg, display(cache_file(r), repo));
      in.hotspots->source = how;
    } else {
      in.hotspot_note = why;
      std::fprintf(stderr, "hakmem review: no hotspot table: %s\n", why.c_str());
    }
  } else {
    in.hotspot_note = "--no-hotspots was given";
  }
  in.profiles = profiles(a, repo);
  in.policy = load_policy_of(a, repo);
  std::string out = a.get("--out", repo + "/docs/questionnaire");
  std::string gout = a.get("--graph-out", repo + "/docs/boxes");
  // Documents name the output folders repo-relative; outside the repo (tests) they name the defaults.
  if (inside(out, repo)) in.out_dir = display(out, repo);
  if (inside(gout, repo)) in.graph_dir = display(gout, repo);
  std::string q = (fs::path(out) / (in.topic.name + ".md")).string();
  std::string t = (fs::path(out) / (in.topic.name + ".answer-template.md")).string();
  write_file(q, render_questionnaire(in));
  write_file(t, render_answer_template(in));
  auto g = write_graph(in.reg, in.graph, gout, repo);
  print_undeclared(in.graph);
  std::printf("wrote %s\nwrote %s\n", display(q, repo).c_str(), display(t, repo).c_str());
  for (const auto& f : g) std::printf("wrote %s\n", f.c_str());
  return 0;
}

int cmd_graph(const Args& a) {
  std::string repo = repo_root(a);
  Registry reg = load_registry(a, repo);
  std::string tree = a.get("--tree", repo);
  GraphCheck chk = check_graph(tree, reg);
  if (a.flag("--check")) {
    if (!chk.scanned) {
      std::fprintf(stderr, "hakmem review graph: no alloc/ under %s\n", display(tree, repo).c_str());
      return 2;
    }
    print_undeclared(chk);
    std::printf("include check: %zu undeclared edge(s), %zu of %zu declared edges used\n", chk.undeclared.size(),
                chk.seen.size(), chk.seen.size() + chk.unseen.size());
    return chk.undeclared.empty() ? 0 : 1;
  }
  for (const auto& f : write_graph(reg, chk, a.get("--graph-out", repo + "/docs/boxes"), repo))
    std::printf("wrote %s\n", f.c_str());
  print_undeclared(chk);
  return 0;
}

int check(const Args& a, const std::string& answer_path, const std::string& repo) {
  Registry reg = load_registry(a, repo);
  std::string md = read_file(answer_path);
  std::string ledger_path = a.get("--ledger", repo + "/bench/ledger/ledger.jsonl");
  Ledger ledger = load_ledger(ledger_path, display(ledger_path, repo));
  CheckContext ctx;
  ctx.reg = &reg;
  ctx.profiles = profiles(a, repo);
  ctx.ledger = &ledger;
  ctx.policy = load_policy_of(a, repo);
  ctx.repo = repo;
  ctx.registry_hash = registry_hash(reg);
  ctx.ledger_entries = ledger.present ? int(ledger.entries.size()) : -1;
  std::string qpath = a.get("--questionnaire");
  if (qpath.empty())  // found by the answer's ID
    if (auto idl = find_id_line(md))
      if (auto id = parse_id(idl->second)) {
        std::string guess = repo + "/docs/questionnaire/" + id->topic + ".md";
        if (fs::exists(guess)) qpath = guess;
      }
  if (!qpath.empty()) ctx.questionnaire = read_questionnaire(read_file(qpath));
  auto problems = check_answer(md, ctx);
  int errors = 0;
  for (const auto& p : problems) {
    std::fprintf(stderr, "%s:%d: %s%s: %s\n", answer_path.c_str(), p.line, p.warning ? "warning: " : "", p.rule.c_str(),
                 p.text.c_str());
    errors += p.warning ? 0 : 1;
  }
  if (qpath.empty())
    std::fprintf(stderr, "%s: warning: no questionnaire given or found by the answer's ID; candidates, questions and "
                 "the \"Do not propose\" list are not checked\n", answer_path.c_str());
  return errors == 0 ? 0 : 1;
}

int cmd_check(const Args& a) {
  if (a.positional.size() != 1) {
    std::fprintf(stderr, "hakmem review %s: needs exactly one ANSWER.md\n", a.cmd.c_str());
    return 2;
  }
  int rc = check(a, a.positional[0], repo_root(a));
  if (rc == 0) std::printf("%s: ok\n", a.positional[0].c_str());
  return rc;
}

int cmd_plan(const Args& a) {
  if (a.positional.size() != 1) {
    std::fprintf(stderr, "hakmem review %s: needs exactly one ANSWER.md\n", a.cmd.c_str());
    return 2;
  }
  const std::string& f = a.positional[0];
  if (check(a, f, repo_root(a)) != 0) {
    std::fprintf(stderr, "hakmem review plan: %s does not pass check-answer; fix it first\n", f.c_str());
    return 1;
  }
  std::string md = read_file(f);
  std::fputs(plan_commands(ab_steps(md), fs::path(f).filename().string(), answer_id(md)).c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  const Spec* spec = nullptr;
  if (int rc = parse_args(argc, argv, a, spec); rc >= 0) return rc;
  try {
    if (a.cmd == "questionnaire") return cmd_questionnaire(a);
    if (a.cmd == "graph") return cmd_graph(a);
    if (a.cmd == "check-answer") return cmd_check(a);
    if (a.cmd == "plan") return cmd_plan(a);
    if (a.cmd == "record") return cmd_record(a);
    if (a.cmd == "compare") return cmd_compare(a);
    if (a.cmd == "status") return cmd_status(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hakmem review: %s\n", e.what());
    return 2;
  }
  return 2;
}
