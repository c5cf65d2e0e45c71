// hakmem fuzz: the pre-merge fuzz run. Runs every libFuzzer harness of the fuzz build for its
// share of a time budget, one after the other (each with -fork=N when --jobs N > 1), prints a
// progress line per harness and a table (wall and CPU seconds, executions, exec/s, coverage, new
// corpus entries, crashes), minimises every crash into fuzz/crashes/<harness>/ and exits non-zero if any
// harness crashed, with the command that replays each crash.
//
//   hakmem fuzz [--budget 10m] [--jobs N] [--build DIR] [--src DIR] [--only h1,h2 | --changed BASE]
//               [--progress SECONDS] [--dry-run]
//   hakmem fuzz --coverage [--cov-out DIR] [--build DIR] [--only h1,h2]
//
// --changed BASE spends the budget on the harnesses of the boxes the files changed since the git
// revision BASE belong to, and of every box that depends on them (changed.h).
//
// DIR is the fuzz build (default build/fuzz, harnesses in DIR/bin/); the work corpora and
// raw artifacts live in DIR/fuzz-work/<harness>/; the committed seed corpora
// (fuzz/corpus/<harness>/) are read, never written.
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../tools/common/spawn.h"
#include "changed.h"
#include "coverage.h"

namespace {

namespace fs = std::filesystem;

struct Options {
  long budget_s = 600;
  int jobs = 1;
  fs::path build = "build/fuzz";
  fs::path src = HAKMEM_SOURCE_DIR;
  std::vector<std::string> only;
  std::string changed;  // a git revision, or empty
  long progress_s = 30;
  bool dry_run = false;
  bool coverage = false;
  fs::path cov_out = "build/oss-fuzz";
};

struct Result {
  std::string name;
  long seconds = 0;
  double cpu_s = 0;  // user + system CPU seconds of the fuzzer (and its -fork workers)
  unsigned long long execs = 0, exec_per_s = 0, cov = 0, ft = 0;
  long new_entries = 0;
  int crashes = 0;
  bool ran = false;
  std::string note;
  std::vector<std::string> replay;  // commands that replay its crashes
};

[[noreturn]] void usage(const char* why) {
  if (why) std::fprintf(stderr, "hakmem fuzz: %s\n", why);
  std::fprintf(stderr,
               "usage: hakmem fuzz [--budget 10m] [--jobs N] [--build DIR] [--src DIR] [--only h1,h2 | --changed BASE]\n"
               "                   [--progress SECONDS] [--dry-run]\n"
               "  --budget  total time: <n>s, <n>m or <n>h (default 10m), shared by all harnesses\n"
               "  --jobs    libFuzzer -fork workers per harness (default 1)\n"
               "  --build   the fuzz build directory (default build/fuzz; cmake --preset fuzz)\n"
               "  --src     the source tree (default: the one this tool was built from)\n"
               "  --only    comma-separated harness names\n"
               "  --changed the harnesses of the boxes changed since git revision BASE and of the boxes\n"
               "            that depend on them (alloc/registry/boxes.def)\n"
               "  --progress a progress line every SECONDS while a harness runs (default 30, 0: none)\n"
               "  --dry-run print the harnesses and the libFuzzer command lines, run nothing\n"
               "  --coverage build with clang source-based coverage (into --cov-out, default build/oss-fuzz),\n"
               "            replay the committed and work corpora, print line and branch coverage per box,\n"
               "            write the HTML report\n");
  std::exit(2);
}

long parse_duration(const std::string& s) {
  if (s.empty()) usage("empty --budget");
  char unit = s.back();
  long mult = unit == 'h' ? 3600 : unit == 'm' ? 60 : 1;
  std::string digits = std::isdigit(static_cast<unsigned char>(unit)) ? s : s.substr(0, s.size() - 1);
  char* end = nullptr;
  long v = std::strtol(digits.c_str(), &end, 10);
  if (!end || *end || v <= 0 || (!std::isdigit(static_cast<unsigned char>(unit)) && unit != 's' && unit != 'm' && unit != 'h'))
    usage("bad --budget (use e.g. 90s, 10m, 1h)");
  return v * mult;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--budget") o.budget_s = parse_duration(val());
    else if (a == "--jobs") o.jobs = std::max(1, std::atoi(val().c_str()));
    else if (a == "--build") o.build = val();
    else if (a == "--src") o.src = val();
    else if (a == "--only") {
      std::stringstream ss(val());
      for (std::string h; std::getline(ss, h, ',');) o.only.push_back(h);
    } else if (a == "--changed") o.changed = val();
    else if (a == "--progress") o.progress_s = std::max(0L, std::atol(val().c_str()));
    else if (a == "--dry-run") o.dry_run = true;
    else if (a == "--coverage") o.coverage = true;
    else if (a == "--cov-out") o.cov_out = val();
    else if (a == "-h" || a == "--help") usage(nullptr);
    else usage(("unknown argument " + a).c_str());
  }
  if (!o.only.empty() && !o.changed.empty()) usage("--only and --changed exclude each other");
  return o;
}

// The harnesses: every fuzz/<name>_fuzz.cc of the source tree.
std::vector<std::string> harnesses(const Options& o) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(o.src / "fuzz")) {
    std::string f = e.path().filename().string();
    if (f.size() > 8 && f.compare(f.size() - 8, 8, "_fuzz.cc") == 0) out.push_back(f.substr(0, f.size() - 3));
  }
  std::sort(out.begin(), out.end());
  if (!o.only.empty()) {
    for (const auto& h : o.only)
      if (std::find(out.begin(), out.end(), h) == out.end()) usage(("no harness " + h).c_str());
    out = o.only;
  }
  if (!o.changed.empty()) {
    std::vector<std::string> files;
    std::string error;
    if (!hm_fuzz::changed_files(o.src.string(), o.changed, &files, &error)) {
      std::fprintf(stderr, "hakmem fuzz: --changed %s: %s\n", o.changed.c_str(), error.c_str());
      std::exit(2);
    }
    std::set<std::string> boxes;
    for (const auto& f : files) boxes.merge(hm_fuzz::boxes_of_file(f));
    std::set<std::string> all = hm_fuzz::with_dependents(boxes);
    std::string touched, dependents;
    for (const auto& b : boxes) touched += " " + b;
    for (const auto& b : all)
      if (!boxes.count(b)) dependents += " " + b;
    std::printf("hakmem fuzz: %zu file(s) changed since %s; boxes:%s; their dependents:%s\n", files.size(),
                o.changed.c_str(), touched.empty() ? " none" : touched.c_str(),
                dependents.empty() ? " none" : dependents.c_str());
    out = hm_fuzz::harnesses_of(all, out);
  }
  return out;
}

// Runs argv with stdout and stderr appended to `log`; returns the exit status. While it runs,
// calls tick(seconds so far) every `every` seconds (0: never).
// `cpu_s`, when given, receives the user plus system CPU seconds of the program and of the
// processes it waited for (libFuzzer's -fork workers).
template <class Tick>
int run(const std::vector<std::string>& args, const fs::path& log, long every, Tick tick, double* cpu_s = nullptr) {
  hm_tools::Spawn s;
  s.argv = args;
  s.stdin_null = false;
  s.out = s.err = hm_tools::Output::Append;
  s.append_to = log.string();
  s.tick_s = static_cast<double>(every);
  s.tick = [&](double el) { tick(static_cast<long>(el)); };
  hm_tools::SpawnResult r = hm_tools::run(s);
  if (!r.started) std::fprintf(stderr, "hakmem fuzz: %s\n", r.error.c_str());
  if (cpu_s) *cpu_s = r.user_s + r.sys_s;
  return r.started || r.wait_status ? r.wait_status : 127 << 8;  // 127: as a shell reports "cannot run"
}
int run(const std::vector<std::string>& args, const fs::path& log) {
  return run(args, log, 0, [](long) {});
}

// A path inside the source tree relative to it (for the lines a user copies), else as given.
std::string rel(const fs::path& p, const fs::path& src) {
  std::error_code ec;
  fs::path r = fs::relative(p, src, ec);
  return ec || r.empty() || r.string().rfind("..", 0) == 0 ? p.string() : r.string();
}

size_t count_files(const fs::path& d) {
  size_t n = 0;
  if (fs::is_directory(d))
    for (const auto& e : fs::directory_iterator(d)) n += e.is_regular_file();
  return n;
}

// The value after `key` in a libFuzzer status line ("cov: 123"), or -1.
long long after(const std::string& line, const char* key) {
  size_t p = line.find(key);
  if (p == std::string::npos) return -1;
  return std::strtoll(line.c_str() + p + std::strlen(key), nullptr, 10);
}

void parse_log(const fs::path& log, Result& r) {
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > 1 && line[0] == '#' && std::isdigit(static_cast<unsigned char>(line[1]))) {
      r.execs = std::max<unsigned long long>(r.execs, std::strtoull(line.c_str() + 1, nullptr, 10));
      if (long long v = after(line, "cov: "); v >= 0) r.cov = static_cast<unsigned long long>(v);
      if (long long v = after(line, "ft: "); v >= 0) r.ft = static_cast<unsigned long long>(v);
      if (long long v = after(line, "exec/s: "); v >= 0) r.exec_per_s = static_cast<unsigned long long>(v);
    }
    if (long long v = after(line, "stat::number_of_executed_units: "); v >= 0)
      r.execs = std::max<unsigned long long>(r.execs, static_cast<unsigned long long>(v));
    if (long long v = after(line, "stat::average_exec_per_sec: "); v >= 0) r.exec_per_s = static_cast<unsigned long long>(v);
  }
  if (r.seconds > 0 && r.execs && !r.exec_per_s) r.exec_per_s = r.execs / static_cast<unsigned long long>(r.seconds);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::vector<std::string> hs = harnesses(o);
  if (hs.empty() && !o.changed.empty()) {
    std::printf("hakmem fuzz: the change touches no box with a harness; nothing to fuzz\n");
    return 0;
  }
  if (hs.empty()) usage("no harnesses found under --src/fuzz");
  if (o.coverage) return hm_fuzz::run_coverage(o.src, o.cov_out, o.build, hs);
  fs::path bin = o.build / "bin";
  for (const auto& h : hs)
    if (!o.dry_run && !fs::exists(bin / h)) {
      std::fprintf(stderr, "hakmem fuzz: %s not built; run: cmake --preset fuzz && cmake --build --preset fuzz\n",
                   (bin / h).c_str());
      return 2;
    }
  // Each harness's work directory (corpus, log, artifacts) belongs to one run at a time: a second
  // run on the same --build would remove the first one's log under it and mix their figures.
  std::vector<int> locks;
  for (const auto& h : hs) {
    if (o.dry_run) break;
    fs::path work = fs::absolute(o.build / "fuzz-work" / h);
    fs::create_directories(work);
    int fd = open((work / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
      std::fprintf(stderr, "hakmem fuzz: %s is in use by another hakmem fuzz run; give this one another --build\n",
                   work.c_str());
      return 2;
    }
    locks.push_back(fd);  // held until the process exits
  }
  long share = std::max<long>(5, o.budget_s / static_cast<long>(hs.size()));
  std::printf("hakmem fuzz: %zu harnesses, %lds each (budget %lds), %d job(s), build %s\n", hs.size(), share,
              o.budget_s, o.jobs, o.build.c_str());
  std::fflush(stdout);

  std::vector<Result> results;
  int total_crashes = 0;
  for (size_t i = 0; i < hs.size(); ++i) {
    const std::string& h = hs[i];
    Result r;
    r.name = h;
    fs::path work = fs::absolute(o.build / "fuzz-work" / h);
    fs::path corpus = work / "corpus", art = work / "artifacts", log = work / "fuzz.log";
    fs::create_directories(corpus);
    fs::remove_all(art);
    fs::create_directories(art);
    fs::remove(log);
    fs::path seeds = o.src / "fuzz/corpus" / h;
    size_t before = count_files(corpus);
    std::vector<std::string> args = {fs::absolute(bin / h).string(), "-max_total_time=" + std::to_string(share),
                                     "-print_final_stats=1", "-timeout=30", "-rss_limit_mb=4096",
                                     "-artifact_prefix=" + art.string() + "/"};
    if (fs::exists(o.src / "fuzz" / (h + ".dict"))) args.push_back("-dict=" + (o.src / "fuzz" / (h + ".dict")).string());
    if (o.jobs > 1) args.push_back("-fork=" + std::to_string(o.jobs));
    args.push_back(corpus.string());
    if (fs::is_directory(seeds)) args.push_back(fs::absolute(seeds).string());
    if (o.dry_run) {
      std::printf("[%zu/%zu] %s:", i + 1, hs.size(), h.c_str());
      for (const auto& a : args) std::printf(" %s", a.c_str());
      std::printf("\n");
      continue;
    }
    std::printf("[%zu/%zu] %-16s fuzzing for %lds ...\n", i + 1, hs.size(), h.c_str(), share);
    std::fflush(stdout);
    auto t0 = std::chrono::steady_clock::now();
    int status = run(args, log, o.progress_s, [&](long el) {
      Result now;
      now.seconds = el;
      parse_log(log, now);
      std::printf("[%zu/%zu] %-16s %lds/%lds  execs %llu  exec/s %llu  cov %llu  corpus +%ld\n", i + 1, hs.size(),
                  h.c_str(), el, share, now.execs, now.exec_per_s, now.cov,
                  static_cast<long>(count_files(corpus)) - static_cast<long>(before));
      std::fflush(stdout);
    }, &r.cpu_s);
    r.seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0).count();
    r.ran = true;
    parse_log(log, r);
    r.new_entries = static_cast<long>(count_files(corpus)) - static_cast<long>(before);
    // Every artifact is a finding: minimise it into the committed crashes folder.
    for (const auto& e : fs::directory_iterator(art)) {
      std::string f = e.path().filename().string();
      if (f.rfind("crash-", 0) && f.rfind("leak-", 0) && f.rfind("timeout-", 0) && f.rfind("oom-", 0)) continue;
      r.crashes++;
      fs::path dest_dir = o.src / "fuzz/crashes" / h;
      fs::create_directories(dest_dir);
      fs::path dest = dest_dir / f;
      // -runs is also how often libFuzzer re-runs the input to confirm the crash: an input that
      // does not crash again (a flaky finding) would otherwise run 200000 times.
      run({fs::absolute(bin / h).string(), "-minimize_crash=1", "-max_total_time=60", "-runs=2000",
           "-exact_artifact_path=" + dest.string(), e.path().string()},
          work / "minimize.log");
      if (!fs::exists(dest)) fs::copy_file(e.path(), dest, fs::copy_options::overwrite_existing);
      r.note += " " + rel(dest, o.src);
      r.replay.push_back(rel(fs::absolute(bin / h), o.src) + " " + rel(dest, o.src));
    }
    if (!r.crashes && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      r.crashes = 1;  // died without an artifact
      r.note += " exit status " + std::to_string(status) + ", see " + log.string();
    }
    total_crashes += r.crashes;
    std::printf("[%zu/%zu] %-16s %lds  cpu %.0fs  execs %llu  cov %llu  ft %llu  new %ld  crashes %d%s\n", i + 1, hs.size(),
                h.c_str(), r.seconds, r.cpu_s, r.execs, r.cov, r.ft, r.new_entries, r.crashes, r.note.c_str());
    std::fflush(stdout);
    results.push_back(r);
  }

  if (o.dry_run) return 0;
  std::printf("\n%-16s %8s %7s %12s %9s %7s %7s %6s %8s\n", "harness", "time(s)", "cpu(s)", "executions", "exec/s",
              "cov", "ft", "new", "crashes");
  for (const Result& r : results)
    std::printf("%-16s %8ld %7.0f %12llu %9llu %7llu %7llu %6ld %8d\n", r.name.c_str(), r.seconds, r.cpu_s, r.execs,
                r.exec_per_s, r.cov, r.ft, r.new_entries, r.crashes);
  if (total_crashes) {
    std::printf("\nhakmem fuzz: %d crash(es), minimised under fuzz/crashes/<harness>/ (replayed by the test suite)\n",
                total_crashes);
    for (const Result& r : results)
      for (const auto& c : r.replay) std::printf("  replay: %s\n", c.c_str());
    return 1;
  }
  std::printf("\nhakmem fuzz: no crashes\n");
  return 0;
}
