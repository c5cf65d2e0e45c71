#include "runner/spawn.h"

#include "common/git_state.h"
#include "common/spawn.h"
#include "workloads/pin.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace hmb {

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

ProcResult run_process(const std::vector<std::string>& argv, const EnvMap* env) {
  if (argv.empty()) throw std::runtime_error("empty command");
  hm_tools::Spawn s;
  s.argv = argv;
  if (env) {
    s.inherit_env = false;
    s.env = env_to_strings(*env);
  }
  hm_tools::SpawnResult c = hm_tools::run(s);
  if (!c.started) throw std::runtime_error(c.error);
  ProcResult r;
  r.status = c.status;
  r.out = std::move(c.out);
  r.err = std::move(c.err);
  r.wall_s = c.wall_s;
  r.user_s = c.user_s;
  r.sys_s = c.sys_s;
  r.maxrss_kb = c.maxrss_kb;
  r.minor_faults = c.minor_faults;
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
  hm_tools::GitState t = hm_tools::git_state(source_dir);  // the dirty rule: tools/common/git_state.h
  GitState g;
  if (!t.commit.empty()) g.commit = t.commit;
  g.dirty = t.dirty;
  return g;
}

GitState sitting_git_state(const std::string& source_dir) {
  static std::map<std::string, GitState> first;  // per tree, as this process first read it
  auto it = first.find(source_dir);
  if (it == first.end()) it = first.emplace(source_dir, git_state(source_dir)).first;
  return it->second;
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
  m.line_rtt_ns = line_round_trip_ns();
  return m;
}

double line_round_trip_ns(unsigned trips) {
  if (allowed_cpu_count() < 2 || trips == 0) return 0;
  // A go stops after kBudget even when its trips are not done: with another process busy on
  // either CPU, each trip may wait a scheduler slice, and the probe must not hold a runner up.
  constexpr auto kBudget = std::chrono::milliseconds(40);
  constexpr uint32_t kStop = ~0u;
  double goes[3];
  for (double& ns : goes) {
    alignas(64) std::atomic<uint32_t> line{0};
    bool pinned = true;
    std::thread echo([&] {
      pinned = pin_to_cpu(1);
      for (uint32_t i = 0;; ++i) {
        uint32_t v;
        while ((v = line.load(std::memory_order_acquire)) != 2 * i + 1 && v != kStop) {}
        if (v == kStop) return;
        line.store(2 * i + 2, std::memory_order_release);
      }
    });
    cpu_set_t before;
    pthread_getaffinity_np(pthread_self(), sizeof before, &before);
    pin_to_cpu(0);
    auto t0 = std::chrono::steady_clock::now();
    uint32_t done = 0;
    while (done < trips) {
      line.store(2 * done + 1, std::memory_order_release);
      while (line.load(std::memory_order_acquire) != 2 * done + 2) {}
      ++done;
      if (done % 64 == 0 && std::chrono::steady_clock::now() - t0 > kBudget) break;
    }
    ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / done;
    line.store(kStop, std::memory_order_release);
    echo.join();
    pthread_setaffinity_np(pthread_self(), sizeof before, &before);
    if (!pinned) return 0;
  }
  std::sort(goes, goes + 3);
  return goes[1];
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
