#include "runner/spawn.h"

#include "common/git_state.h"
#include "common/spawn.h"

#include <unistd.h>

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
