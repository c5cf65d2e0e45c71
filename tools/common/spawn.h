// Running a child process, written once for every tool and test that starts one (hakmem fuzz,
// hakmem run, the bench runners, the preload tests). Header-only: hakmem-run and the preload tests
// are built in every preset, including those that leave out tools/.
//
// A Spawn names argv, the environment (exact "K=V" strings, or this process's), where stdin comes
// from, where stdout and stderr go (captured into strings, appended to a file, inherited), an
// optional working directory, deadline, periodic tick and resource limits applied in the child.
// The result says whether the program started, how it ended and what wait4 reported.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace hm_tools {

enum class Output { Capture, Inherit, Append, Null };  // Append: to Spawn::append_to (opened O_APPEND)

struct Rlimit {
  int resource;  // RLIMIT_AS, RLIMIT_CORE, ...
  rlim_t soft, hard;
};

struct Spawn {
  std::vector<std::string> argv;  // argv[0]: a path, or a name looked up in the child's PATH
  bool inherit_env = true;        // false: exactly `env`
  std::vector<std::string> env;   // "NAME=value"
  std::string cwd;                // empty: this process's
  bool stdin_null = true;         // false: inherited
  Output out = Output::Capture, err = Output::Capture;
  std::string append_to;          // the file of Output::Append (created 0644)
  double deadline_s = 0;          // > 0: SIGKILL after this long, reported as timed_out
  double tick_s = 0;              // > 0 with tick: tick(seconds so far) this often while it runs
  std::function<void(double)> tick;
  std::vector<Rlimit> limits;     // set in the child before exec
};

struct SpawnResult {
  bool started = false;    // the program was exec'ed; else `error` says why
  bool timed_out = false;  // killed at the deadline
  int exit_code = -1;      // valid when signal == 0
  int signal = 0;          // terminating signal, 0 when it exited
  int status = -1;         // exit code, or 128 + signal
  int wait_status = 0;     // raw status from wait4
  std::string out, err, error;
  // wait4's account of the child: wall clock from fork to exit, user and system CPU seconds, peak
  // resident KiB, minor page faults.
  double wall_s = 0, user_s = 0, sys_s = 0, maxrss_kb = 0, minor_faults = 0;
};

namespace spawn_detail {

inline bool executable(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
}

// PATH of the child's environment; the exec default when it has none.
inline std::string child_path(const Spawn& s) {
  if (s.inherit_env) {
    const char* p = std::getenv("PATH");
    return p ? p : "/usr/local/bin:/usr/bin:/bin";
  }
  for (const auto& e : s.env)
    if (e.starts_with("PATH=")) return e.substr(5);
  return "/usr/local/bin:/usr/bin:/bin";
}

}  // namespace spawn_detail

// argv[0] when it holds a '/', else the first executable `name` in the directories of `path`; "" when none.
inline std::string find_in_path(const std::string& name, std::string_view path) {
  if (name.find('/') != std::string::npos) return name;
  while (true) {
    size_t colon = path.find(':');
    std::string_view dir = path.substr(0, colon);
    if (!dir.empty()) {
      std::string cand = std::string(dir) + "/" + name;
      if (spawn_detail::executable(cand)) return cand;
    }
    if (colon == std::string_view::npos) return "";
    path.remove_prefix(colon + 1);
  }
}

inline SpawnResult run(const Spawn& s) {
  SpawnResult r;
  if (s.argv.empty()) {
    r.error = "empty command";
    return r;
  }
  // Everything the child needs is built here: after fork it makes only async-signal-safe calls.
  std::string exe = find_in_path(s.argv[0], spawn_detail::child_path(s));
  if (exe.empty()) {
    r.error = "cannot start " + s.argv[0] + ": not found in PATH";
    return r;
  }
  std::vector<char*> argv, envp;
  for (const auto& a : s.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : s.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  char** child_env = s.inherit_env ? environ : envp.data();

  int append_fd = -1, report[2] = {-1, -1}, pipes[2][2] = {{-1, -1}, {-1, -1}};
  auto close_all = [&] {
    for (int* fd : {&append_fd, &report[0], &report[1], &pipes[0][0], &pipes[0][1], &pipes[1][0], &pipes[1][1]})
      if (*fd >= 0) close(*fd), *fd = -1;
  };
  auto fail = [&](const std::string& what) {
    r.error = what + ": " + std::strerror(errno);
    close_all();
    return r;
  };
  const Output modes[2] = {s.out, s.err};
  if ((s.out == Output::Append || s.err == Output::Append) &&
      (append_fd = open(s.append_to.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
    return fail("cannot open " + s.append_to);
  for (int i = 0; i < 2; ++i)
    if (modes[i] == Output::Capture && pipe2(pipes[i], O_CLOEXEC) != 0) return fail("pipe");
  if (pipe2(report, O_CLOEXEC) != 0) return fail("pipe");

  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) return fail("fork");
  if (pid == 0) {
    // Child. On failure, the step and errno go back through `report` (closed by a successful exec).
    auto die = [&](int step) {
      int msg[2] = {step, errno};
      (void)!write(report[1], msg, sizeof msg);
      _exit(127);
    };
    if (s.stdin_null) {
      int dn = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (dn < 0 || dup2(dn, 0) < 0) die(0);
    }
    for (int i = 0; i < 2; ++i) {
      int fd = modes[i] == Output::Capture ? pipes[i][1] : modes[i] == Output::Append ? append_fd : -1;
      if (modes[i] == Output::Null) fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
      if (modes[i] != Output::Inherit && (fd < 0 || dup2(fd, 1 + i) < 0)) die(1);
    }
    for (const auto& l : s.limits) {
      rlimit rl{l.soft, l.hard};
      if (setrlimit(l.resource, &rl) != 0) die(2);
    }
    if (!s.cwd.empty() && chdir(s.cwd.c_str()) != 0) die(3);
    execve(exe.c_str(), argv.data(), child_env);
    die(4);
  }
  close(report[1]), report[1] = -1;
  for (auto& p : pipes)
    if (p[1] >= 0) close(p[1]), p[1] = -1;
  if (append_fd >= 0) close(append_fd), append_fd = -1;
  int msg[2];
  ssize_t got;
  while ((got = read(report[0], msg, sizeof msg)) < 0 && errno == EINTR) {
  }
  r.started = got != static_cast<ssize_t>(sizeof msg);
  if (!r.started) {
    static const char* steps[] = {"stdin", "redirect output", "setrlimit", "chdir", "exec"};
    r.error = "cannot start " + s.argv[0] + ": " + steps[msg[0] >= 0 && msg[0] < 5 ? msg[0] : 4] + ": " +
              std::strerror(msg[1]);
  }

  // Drain the captured streams, tick, enforce the deadline; then reap with wait4.
  using clock = std::chrono::steady_clock;
  auto since = [&] { return std::chrono::duration<double>(clock::now() - t0).count(); };
  bool ticking = s.tick_s > 0 && s.tick;
  double next_tick = s.tick_s;
  std::string* sinks[2] = {&r.out, &r.err};
  int status = 0;
  rusage ru{};
  bool reaped = false;
  char buf[65536];
  while (!reaped) {
    pollfd fds[2];
    int nfds = 0, idx[2];
    for (int i = 0; i < 2; ++i)
      if (pipes[i][0] >= 0) fds[nfds] = {pipes[i][0], POLLIN, 0}, idx[nfds++] = i;
    bool timed = s.deadline_s > 0 || ticking;
    if (nfds == 0 && !timed) {
      while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
      }
      break;
    }
    double now = since();
    if (s.deadline_s > 0 && now >= s.deadline_s && !r.timed_out) {
      r.timed_out = true;
      kill(pid, SIGKILL);
      for (auto& p : pipes)  // stop reading: a descendant may still hold the streams open
        if (p[0] >= 0) close(p[0]), p[0] = -1;
      continue;
    }
    if (ticking && now >= next_tick) {
      s.tick(now);
      next_tick = now + s.tick_s;
    }
    double wait = 3600;
    if (s.deadline_s > 0 && !r.timed_out) wait = std::min(wait, s.deadline_s - now);
    if (ticking) wait = std::min(wait, next_tick - now);
    if (nfds == 0 || r.timed_out) wait = std::min(wait, 0.02);  // no stream to wait on: poll the child
    int n = poll(fds, static_cast<nfds_t>(nfds), static_cast<int>(std::max(0.0, wait) * 1000) + 1);
    for (int k = 0; n > 0 && k < nfds; ++k) {
      if ((fds[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      int i = idx[k];
      ssize_t len = read(pipes[i][0], buf, sizeof buf);
      if (len > 0) {
        sinks[i]->append(buf, static_cast<size_t>(len));
      } else if (len == 0 || errno != EINTR) {
        close(pipes[i][0]);
        pipes[i][0] = -1;
      }
    }
    // With the streams closed (or none), look for the child's end without blocking past a tick or deadline.
    if (pipes[0][0] < 0 && pipes[1][0] < 0) {
      pid_t w = wait4(pid, &status, timed ? WNOHANG : 0, &ru);
      reaped = w == pid || (w < 0 && errno != EINTR);
    }
  }
  close_all();
  r.wall_s = since();
  r.wait_status = status;
  r.user_s = static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) * 1e-6;
  r.sys_s = static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) * 1e-6;
  r.maxrss_kb = static_cast<double>(ru.ru_maxrss);
  r.minor_faults = static_cast<double>(ru.ru_minflt);
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    r.status = r.exit_code;
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
    r.status = 128 + r.signal;
  }
  return r;
}

}  // namespace hm_tools
