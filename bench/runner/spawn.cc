#include "runner/spawn.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace hmb {

namespace {

// An unlinked temporary file that collects one stream of a child.
struct TempFile {
  int fd = -1;
  TempFile() {
    char name[] = "/tmp/hmb-out-XXXXXX";
    fd = mkstemp(name);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    unlink(name);
  }
  ~TempFile() {
    if (fd >= 0) close(fd);
  }
  std::string slurp() const {
    std::string s;
    char buf[8192];
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
    return s;
  }
};

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

ProcResult run_process(const std::vector<std::string>& argv, const EnvMap* env) {
  if (argv.empty()) throw std::runtime_error("empty command");
  TempFile out, err;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out.fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, err.fd, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  if (env) {
    env_strings = env_to_strings(*env);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
  char** child_env = env ? envp.data() : environ;
  // posix_spawnp searches the runner's own PATH; resolve against the child's when scrubbed.
  std::string exe = argv[0];
  if (exe.find('/') == std::string::npos) {
    std::string path = env && env->count("PATH") ? env->at("PATH") : (getenv("PATH") ? getenv("PATH") : "");
    std::istringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':'))
      if (!dir.empty() && access((dir + "/" + exe).c_str(), X_OK) == 0) {
        exe = dir + "/" + exe;
        break;
      }
  }
  pid_t pid;
  auto t0 = std::chrono::steady_clock::now();
  int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, args.data(), child_env);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  rusage ru{};
  while (wait4(pid, &status, 0, &ru) < 0)
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  ProcResult r;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.user_s = static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) * 1e-6;
  r.sys_s = static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) * 1e-6;
  r.maxrss_kb = static_cast<double>(ru.ru_maxrss);
  r.minor_faults = static_cast<double>(ru.ru_minflt);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = out.slurp();
  r.err = err.slurp();
  return r;
}

bool file_exists(const std::string& path) { return !path.empty() && access(path.c_str(), R_OK) == 0; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

GitState git_state(const std::string& source_dir) {
  GitState g;
  try {
    auto head = run_process({"git", "-C", source_dir, "rev-parse", "HEAD"}, nullptr);
    if (head.status == 0) g.commit = trim(head.out);
    auto st = run_process({"git", "-C", source_dir, "status", "--porcelain", "--untracked-files=normal"}, nullptr);
    g.dirty = st.status != 0 || !trim(st.out).empty();
  } catch (const std::exception&) {
    g.dirty = true;  // no git: provenance unknown
  }
  return g;
}

Machine machine_info() {
  Machine m;
  std::istringstream in(read_file("/proc/cpuinfo"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    auto colon = line.find(':');
    if (colon != std::string::npos) m.cpu = trim(line.substr(colon + 2));
    break;
  }
  if (m.cpu.empty()) m.cpu = "unknown";
  m.cores = static_cast<int>(std::thread::hardware_concurrency());
  return m;
}

namespace {
std::string utc_format(const char* fmt) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}
}  // namespace

std::string utc_now_iso() { return utc_format("%Y-%m-%dT%H:%M:%SZ"); }
std::string utc_now_stamp() { return utc_format("%Y%m%dT%H%M%SZ"); }

}  // namespace hmb
