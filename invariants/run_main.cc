// hakmem-run (`hakmem run`): runs any program on the debug build of libhakmem.so with the
// invariant checks on, and says where the fail-fast report is when the program fails.
//
//   hakmem run [--check=0|1|2] [--build DIR] [--report PATH] [--keep] -- program [args...]
//
// The library is DIR/lib/libhakmem.so with --build, else build/debug/lib/libhakmem.so of
// the source tree, else ../lib/libhakmem.so next to this executable. The program gets
// LD_PRELOAD (prepended), HAKMEM_CHECK, HAKMEM_REPORT=<report file> and
// HAKMEM_CHECK_SUMMARY=<summary file>; its exit status is passed through (128+signal when it was
// killed), and at its end one line says what the checks did (how many, their time, the pages the
// level-2 walker visited).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/self_dir.h"
#include "common/spawn.h"

namespace {

using hm_tools::self_dir;

void usage() {
  std::fprintf(stderr,
               "usage: hakmem run [--check=0|1|2] [--build DIR] [--report PATH] [--keep] -- program [args...]\n"
               "  --check=N    HAKMEM_CHECK for the program (default 2: touched objects plus the incremental walker)\n"
               "  --build DIR  build tree whose lib/libhakmem.so is preloaded (default: the debug build)\n"
               "  --report P   file for the JSON report line (default: a new file under $TMPDIR or /tmp)\n"
               "  --keep       keep the report file even when the program succeeds\n");
}

bool exists(const std::string& p) { return access(p.c_str(), R_OK) == 0; }

std::string find_library(const std::string& build) {
  if (!build.empty()) return build + "/lib/libhakmem.so";
  std::string src = std::string(HAKMEM_SOURCE_DIR) + "/build/debug/lib/libhakmem.so";
  if (exists(src)) return src;
  return self_dir() + "/../lib/libhakmem.so";
}

// The debug build carries the check hooks; a release library would run unchecked.
bool is_debug_library(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return bytes.find("hakmem-check-hooks=1") != std::string::npos;
}

// A new empty file under $TMPDIR (or /tmp) named prefix-XXXXXX; "" on failure.
std::string make_temp(const char* prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  int fd = mkstemp(buf.data());
  if (fd < 0) return "";
  close(fd);
  return buf.data();
}

// The check summary lines the program's processes wrote at exit (HAKMEM_CHECK_SUMMARY), added
// up into one line on stderr: what the run's checks covered.
void print_check_summary(const std::string& path, int level) {
  std::ifstream f(path);
  std::string line;
  unsigned long long procs = 0, checks = 0, ns = 0, pages = 0, rounds = 0, full = 0;
  while (std::getline(f, line)) {
    unsigned long long c, n, p, r, w;
    int lv;
    if (std::sscanf(line.c_str(),
                    "{\"hakmem_check_summary\":1,\"level\":%d,\"checks\":%llu,\"check_ns_estimate\":%llu,"
                    "\"pages_walked\":%llu,\"rounds\":%llu,\"full_walks\":%llu}",
                    &lv, &c, &n, &p, &r, &w) != 6)
      continue;
    ++procs, checks += c, ns += n, pages += p, rounds += r, full += w;
  }
  if (procs == 0) {
    if (level >= 1) std::fprintf(stderr, "hakmem run: no check summary (the library is not a debug build?)\n");
    return;
  }
  std::fprintf(stderr,
               "hakmem run: level %d checks: %llu checks in about %.3f s; the level-2 walker visited %llu pages in "
               "%llu full rounds; %llu full walks at thread exit, trim and process exit (%llu process%s)\n",
               level, checks, static_cast<double>(ns) / 1e9, pages, rounds, full, procs, procs == 1 ? "" : "es");
}

std::string first_line(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  int check = 2;
  std::string build, report;
  bool keep = false;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    } else if (a.rfind("--check=", 0) == 0) {
      std::string v = a.substr(8);
      if (v != "0" && v != "1" && v != "2") {
        std::fprintf(stderr, "hakmem run: --check must be 0, 1 or 2, not '%s'\n", v.c_str());
        return 2;
      }
      check = v[0] - '0';
    } else if (a == "--build" && i + 1 < argc) {
      build = argv[++i];
    } else if (a.rfind("--build=", 0) == 0) {
      build = a.substr(8);
    } else if (a == "--report" && i + 1 < argc) {
      report = argv[++i];
    } else if (a.rfind("--report=", 0) == 0) {
      report = a.substr(9);
    } else if (a == "--keep") {
      keep = true;
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else {
      break;  // the program starts here (no "--")
    }
  }
  if (i >= argc) {
    usage();
    return 2;
  }

  std::string lib = find_library(build);
  if (char* abs = realpath(lib.c_str(), nullptr)) {  // the program may change directory
    lib = abs;
    std::free(abs);
  }
  if (!exists(lib)) {
    std::fprintf(stderr, "hakmem run: no library at %s (build the debug preset: cmake --preset debug && "
                         "cmake --build --preset debug --target hakmem_preload)\n", lib.c_str());
    return 2;
  }
  if (!is_debug_library(lib))
    std::fprintf(stderr, "hakmem run: warning: %s is not a debug build; HAKMEM_CHECK has no hooks to run\n",
                 lib.c_str());

  std::string summary = make_temp("hakmem-checks");
  if (summary.empty()) {
    std::perror("hakmem run: mkstemp");
    return 2;
  }
  if (report.empty()) {
    report = make_temp("hakmem-report");
    if (report.empty()) {
      std::perror("hakmem run: mkstemp");
      unlink(summary.c_str());
      return 2;
    }
  } else {
    // A fresh report: the library appends.
    int fd = open(report.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
      std::perror(("hakmem run: " + report).c_str());
      return 2;
    }
    close(fd);
  }

  std::string preload = lib;
  if (const char* old = std::getenv("LD_PRELOAD"); old && *old) preload += std::string(":") + old;
  setenv("LD_PRELOAD", preload.c_str(), 1);
  setenv("HAKMEM_CHECK", std::to_string(check).c_str(), 1);
  setenv("HAKMEM_REPORT", report.c_str(), 1);
  setenv("HAKMEM_CHECK_SUMMARY", summary.c_str(), 1);

  hm_tools::Spawn child;  // the environment set above, stdin and output inherited
  child.argv.assign(argv + i, argv + argc);
  child.stdin_null = false;
  child.out = child.err = hm_tools::Output::Inherit;
  hm_tools::SpawnResult ran = hm_tools::run(child);
  if (!ran.started) std::fprintf(stderr, "hakmem run: %s\n", ran.error.c_str());
  int status = ran.wait_status;
  int code = ran.started ? ran.status : 127;
  print_check_summary(summary, check);
  unlink(summary.c_str());
  std::string line = first_line(report);
  if (code != 0 || !line.empty()) {
    if (!line.empty()) {
      std::fprintf(stderr, "hakmem run: %s %s; report: %s\nhakmem run: %s\n", argv[i],
                   WIFSIGNALED(status) ? "was killed" : "failed", report.c_str(), line.c_str());
    } else {
      std::fprintf(stderr, "hakmem run: %s exited with status %d; no hakmem report (%s is empty)\n", argv[i], code,
                   report.c_str());
    }
    if (line.empty() && !keep) unlink(report.c_str());
  } else if (!keep) {
    unlink(report.c_str());
  }
  return code;
}
