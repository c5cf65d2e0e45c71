// Test helper: run a program in a child process with a chosen environment and
// capture its stdout, stderr and exit status (through tools/common/spawn.h). Used by the preload tests
// (tests/preload/) and the C++ operator tests (tests/front/) to run code under
// LD_PRELOAD=libhakmem.so and compare it with a run without it.
#ifndef HAKMEM_TESTS_PRELOAD_SUBPROCESS_H
#define HAKMEM_TESTS_PRELOAD_SUBPROCESS_H

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "../../tools/common/spawn.h"

namespace hakmem_test {

struct RunResult {
  bool started = false;    // fork/exec succeeded
  bool timed_out = false;  // killed by the safety-net deadline
  int exit_code = -1;      // valid when signal == 0
  int signal = 0;          // terminating signal, 0 if it exited
  std::string out;
  std::string err;

  bool Ok() const { return started && !timed_out && signal == 0 && exit_code == 0; }

  // One line for assertion messages, plus the (truncated) stderr.
  std::string Describe() const {
    std::string s;
    if (!started) return "could not start: " + err;
    if (timed_out) s += "TIMED OUT (killed); ";
    if (signal != 0) {
      s += "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
    } else {
      s += "exit code " + std::to_string(exit_code);
    }
    std::string_view e = err;
    if (e.size() > 4000) e = e.substr(0, 4000);
    if (!e.empty()) s += "; stderr:\n" + std::string(e);
    return s;
  }
};

// Copy of this process's environment without LD_PRELOAD and without any HAKMEM_* variable,
// so that neither run of a comparison inherits a stale setting.
inline std::vector<std::string> CleanEnv() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view v(*e);
    if (v.starts_with("LD_PRELOAD=") || v.starts_with("HAKMEM_")) continue;
    env.emplace_back(v);
  }
  return env;
}

// Sets NAME=value in env (replacing an existing NAME).
inline void SetEnv(std::vector<std::string>& env, std::string_view name, std::string_view value) {
  std::string prefix = std::string(name) + "=";
  for (auto& e : env) {
    if (e.starts_with(prefix)) {
      e = prefix + std::string(value);
      return;
    }
  }
  env.push_back(prefix + std::string(value));
}

// Absolute path of an executable found on PATH, or "" if there is none.
inline std::string FindInPath(std::string_view name) {
  const char* path = std::getenv("PATH");
  return hm_tools::find_in_path(std::string(name), path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
}

// Runs argv[0] (an absolute path) with exactly `env`, stdin from /dev/null, in `cwd` (if
// not empty), under the resource `limits` (e.g. {RLIMIT_AS, n, n}). The deadline is only a safety
// net against a hung child (e.g. a deadlocked allocator); reaching it is reported as a failure,
// never used to measure anything.
inline RunResult Run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                     const std::string& cwd = "", int deadline_seconds = 120,
                     const std::vector<hm_tools::Rlimit>& limits = {}) {
  hm_tools::Spawn s;
  s.argv = argv;
  s.inherit_env = false;
  s.env = env;
  s.cwd = cwd;
  s.deadline_s = deadline_seconds;
  s.limits = limits;
  hm_tools::SpawnResult c = hm_tools::run(s);
  RunResult r;
  r.started = c.started;
  r.timed_out = c.timed_out;
  r.exit_code = c.exit_code;
  r.signal = c.signal;
  r.out = std::move(c.out);
  r.err = c.started ? std::move(c.err) : c.error;
  return r;
}

}  // namespace hakmem_test

#endif  // HAKMEM_TESTS_PRELOAD_SUBPROCESS_H
