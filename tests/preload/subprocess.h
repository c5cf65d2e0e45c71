// Test helper: run a program in a child process with a chosen environment and
// capture its stdout, stderr and exit status. Used by the preload tests
// (tests/preload/) and the C++ operator tests (tests/front/) to run code under
// LD_PRELOAD=libhakmem.so and compare it with a run without it.
#ifndef HAKMEM_TESTS_PRELOAD_SUBPROCESS_H
#define HAKMEM_TESTS_PRELOAD_SUBPROCESS_H

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

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
  std::string_view rest = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    size_t colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    if (!dir.empty()) {
      std::string cand = std::string(dir) + "/" + std::string(name);
      struct stat st;
      if (stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(cand.c_str(), X_OK) == 0) {
        return cand;
      }
    }
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return "";
}

// Runs argv[0] (an absolute path) with exactly `env`, stdin from /dev/null, in `cwd` (if
// not empty). The deadline is only a safety net against a hung child (e.g. a deadlocked
// allocator); reaching it is reported as a failure, never used to measure anything.
inline RunResult Run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                     const std::string& cwd = "", int deadline_seconds = 120) {
  RunResult r;
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    r.err = std::string("pipe: ") + strerror(errno);
    return r;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    r.err = std::string("pipe: ") + strerror(errno);
    close(out_pipe[0]);
    close(out_pipe[1]);
    return r;
  }
  pid_t pid = fork();
  if (pid < 0) {
    r.err = std::string("fork: ") + strerror(errno);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    return r;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on.
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    execve(cargv[0], cargv.data(), cenv.data());
    static const char msg[] = "execve failed\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  r.started = true;
  close(out_pipe[1]);
  close(err_pipe[1]);

  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    long left_ms = deadline_seconds * 1000L - elapsed_ms;
    if (left_ms <= 0) {
      r.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    int n = poll(fds, 2, static_cast<int>(left_ms));
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  return r;
}

}  // namespace hakmem_test

#endif  // HAKMEM_TESTS_PRELOAD_SUBPROCESS_H
