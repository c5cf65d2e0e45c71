// Real programs run unchanged under LD_PRELOAD=libhakmem.so: every case runs the same
// command twice, once without and once with the preload, and requires the same exit status,
// the same stdout and the same stderr. A case is skipped only when its program is not
// installed. HAKMEM_PRELOAD_LIB is a compile definition set by tests/preload/CMakeLists.txt.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "subprocess.h"

namespace {

namespace fs = std::filesystem;
using hakmem_test::RunResult;

constexpr int kDeadlineSeconds = 120;  // safety net against a hung child only

void WriteFile(const fs::path& p, std::string_view content) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(content.data(), static_cast<std::streamsize>(content.size()));
  ASSERT_TRUE(f.good()) << "cannot write " << p;
}

// "identical" or where the two outputs first differ, with some context.
std::string DescribeDifference(std::string_view a, std::string_view b) {
  if (a == b) return "identical";
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  size_t from = i > 120 ? i - 120 : 0;
  auto snippet = [&](std::string_view s) {
    return std::string(s.substr(std::min(from, s.size()), 240));
  };
  std::ostringstream os;
  os << "sizes " << a.size() << " (without) vs " << b.size() << " (with preload); first difference at byte "
     << i << "\n--- without preload, from byte " << from << ":\n"
     << snippet(a) << "\n--- with preload, from byte " << from << ":\n"
     << snippet(b);
  return os.str();
}

class RealProgramsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "hakmem-real-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr) << "mkdtemp failed";
    tmp_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    if (!tmp_.empty()) fs::remove_all(tmp_, ec);
  }

  // Environment shared by both runs: no inherited LD_PRELOAD / HAKMEM_*, C locale, UTC.
  static std::vector<std::string> BaseEnv() {
    auto env = hakmem_test::CleanEnv();
    hakmem_test::SetEnv(env, "LC_ALL", "C");
    hakmem_test::SetEnv(env, "TZ", "UTC");
    return env;
  }
  static std::vector<std::string> WithPreload(std::vector<std::string> env) {
    hakmem_test::SetEnv(env, "LD_PRELOAD", HAKMEM_PRELOAD_LIB);
#ifdef HAKMEM_PRELOAD_CHECK_LEVEL
    // Debug build: every program runs with the check hooks live.
    hakmem_test::SetEnv(env, "HAKMEM_CHECK", HAKMEM_PRELOAD_CHECK_LEVEL);
#endif
    return env;
  }

  static std::string Require(const char* program) {
    std::string path = hakmem_test::FindInPath(program);
    return path;
  }

  // The run without preload must succeed (else the test itself is broken); the run with it
  // must match it exactly.
  static void ExpectSameRun(const std::string& what, const RunResult& plain,
                            const RunResult& preloaded) {
    ASSERT_TRUE(plain.Ok()) << what << " failed WITHOUT the preload: " << plain.Describe();
    EXPECT_TRUE(preloaded.Ok()) << what << " under LD_PRELOAD=libhakmem.so: "
                                << preloaded.Describe();
    EXPECT_TRUE(plain.out == preloaded.out)
        << what << ": stdout differs: " << DescribeDifference(plain.out, preloaded.out);
    EXPECT_TRUE(plain.err == preloaded.err)
        << what << ": stderr differs: " << DescribeDifference(plain.err, preloaded.err);
  }

  fs::path tmp_;
};

// ------------------------------------------------------------------ python3

// Dicts, lists, strings, bytes, sets, deletion and a few threads (cross-thread frees).
// PYTHONMALLOC=malloc sends every object allocation to malloc instead of pymalloc's arenas.
constexpr const char* kPythonScript = R"PY(
import hashlib, json, threading, collections

h = hashlib.sha256()
d = {}
for i in range(80000):
    k = "key-%d-%s" % (i, "x" * (i % 37))
    d[k] = [i, str(i) * (i % 11), {"n": i, "s": k[::-1]}]
for i in range(0, 80000, 3):
    del d["key-%d-%s" % (i, "x" * (i % 37))]
h.update(str(len(d)).encode())
words = sorted(d.keys(), key=lambda s: (len(s), s))
h.update("".join(words[::97]).encode())
blob = json.dumps([d[w] for w in words[:20000]], sort_keys=True)
h.update(blob.encode())
parts = []
for i in range(40000):
    parts.append(("abc%d" % i).upper() * (1 + i % 5))
s = "|".join(parts)
h.update(hashlib.sha256(s.encode()).digest())
c = collections.Counter(s[i:i + 3] for i in range(0, len(s) - 3, 7))
h.update(repr(sorted(c.most_common(50))).encode())
big = [bytes(range(256)) * (1 + i % 64) for i in range(3000)]
h.update(hashlib.sha256(b"".join(big)).digest())
del big, parts, s

results = [None] * 4
def work(t):
    local = {}
    for i in range(25000):
        local[(t, i)] = ("t%d-%d" % (t, i)) * (1 + i % 4)
    results[t] = local  # freed later by the main thread
threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
for t in threads: t.start()
for t in threads: t.join()
for t in range(4):
    h.update(str(sum(len(v) for v in results[t].values())).encode())
results = None
print(len(d), len(words), len(blob), h.hexdigest())
)PY";

TEST_F(RealProgramsTest, Python3AllocationHeavyScript) {
  std::string py = Require("python3");
  if (py.empty()) GTEST_SKIP() << "python3 is not installed";
  auto env = BaseEnv();
  hakmem_test::SetEnv(env, "PYTHONHASHSEED", "0");
  hakmem_test::SetEnv(env, "PYTHONMALLOC", "malloc");
  hakmem_test::SetEnv(env, "PYTHONDONTWRITEBYTECODE", "1");
  std::vector<std::string> argv = {py, "-c", kPythonScript};
  RunResult plain = hakmem_test::Run(argv, env, tmp_, kDeadlineSeconds);
  auto preload_env = WithPreload(env);
  RunResult pre = hakmem_test::Run(argv, preload_env, tmp_, kDeadlineSeconds);
  ExpectSameRun("python3 script", plain, pre);
  EXPECT_EQ(std::count(plain.out.begin(), plain.out.end(), '\n'), 1) << plain.out;
}

// The debug-check level must not change a program's output.
TEST_F(RealProgramsTest, Python3WithCheckLevel2) {
  std::string py = Require("python3");
  if (py.empty()) GTEST_SKIP() << "python3 is not installed";
  auto env = BaseEnv();
  hakmem_test::SetEnv(env, "PYTHONHASHSEED", "0");
  hakmem_test::SetEnv(env, "PYTHONMALLOC", "malloc");
  hakmem_test::SetEnv(env, "PYTHONDONTWRITEBYTECODE", "1");
  const char* script =
      "import json\n"
      "d = {str(i): [i] * (i % 50) for i in range(6000)}\n"
      "for i in range(0, 6000, 2): del d[str(i)]\n"
      "s = json.dumps(d, sort_keys=True)\n"
      "print(len(d), len(s), sum(map(len, d.values())))\n";
  std::vector<std::string> argv = {py, "-c", script};
  RunResult plain = hakmem_test::Run(argv, env, tmp_, kDeadlineSeconds);
  auto checked = WithPreload(env);
  hakmem_test::SetEnv(checked, "HAKMEM_CHECK", "2");
  RunResult pre = hakmem_test::Run(argv, checked, tmp_, kDeadlineSeconds);
  ExpectSameRun("python3 with HAKMEM_CHECK=2", plain, pre);
}

// ------------------------------------------------------------------ lua5.4, bc
// hakmem-programs' lua and bc workloads (bench/programs/): an interpreter whose every object comes
// from realloc and free, freed in its collector's sweeps, and a bignum factoriser. In the debug
// lane they run with the check hooks at level 2, as every case here does.
void ExpectBenchProgramMatches(const fs::path& tmp, const char* program, std::vector<std::string> args) {
  std::string path = hakmem_test::FindInPath(program);
  if (path.empty()) GTEST_SKIP() << program << " is not installed";
  args.insert(args.begin(), path);
  auto env = hakmem_test::CleanEnv();
  hakmem_test::SetEnv(env, "LC_ALL", "C");
  RunResult plain = hakmem_test::Run(args, env, tmp, kDeadlineSeconds);
  hakmem_test::SetEnv(env, "LD_PRELOAD", HAKMEM_PRELOAD_LIB);
#ifdef HAKMEM_PRELOAD_CHECK_LEVEL
  hakmem_test::SetEnv(env, "HAKMEM_CHECK", HAKMEM_PRELOAD_CHECK_LEVEL);
#endif
  RunResult pre = hakmem_test::Run(args, env, tmp, kDeadlineSeconds);
  ASSERT_TRUE(plain.Ok()) << program << " failed WITHOUT the preload: " << plain.Describe();
  EXPECT_TRUE(pre.Ok()) << program << " under LD_PRELOAD=libhakmem.so: " << pre.Describe();
  EXPECT_EQ(plain.out, pre.out) << program;
  EXPECT_EQ(plain.err, pre.err) << program;
  EXPECT_GE(std::count(plain.out.begin(), plain.out.end(), '\n'), 4) << plain.out;  // the workload ran whole
}

TEST_F(RealProgramsTest, LuaCollectorWorkload) {
  ExpectBenchProgramMatches(tmp_, "lua5.4", {std::string(HAKMEM_SOURCE_DIR) + "/bench/programs/workload.lua"});
}

TEST_F(RealProgramsTest, BcBignumFactoriser) {
  ExpectBenchProgramMatches(tmp_, "bc", {"-q", std::string(HAKMEM_SOURCE_DIR) + "/bench/programs/factor.bc"});
}

// Python's own regression tests of json and dict (Debian's libpython3.11-testsuite) with every
// object through the allocator: under the debug build's drop-in they run at level 2. Their
// output carries timings, so the runs are compared by result, not byte for byte.
TEST_F(RealProgramsTest, Python3RegressionTests) {
  std::string py = Require("python3");
  if (py.empty()) GTEST_SKIP() << "python3 is not installed";
  auto env = BaseEnv();
  hakmem_test::SetEnv(env, "PYTHONMALLOC", "malloc");
  hakmem_test::SetEnv(env, "PYTHONDONTWRITEBYTECODE", "1");
  std::vector<std::string> argv = {py, "-m", "test", "-q", "test_json", "test_dict"};
  RunResult plain = hakmem_test::Run(argv, env, tmp_, 300);
  if (plain.out.find("No module named test") != std::string::npos ||
      plain.err.find("No module named test") != std::string::npos)
    GTEST_SKIP() << "python3's regression tests are not installed";
  ASSERT_TRUE(plain.Ok()) << plain.Describe() << plain.out;
  RunResult pre = hakmem_test::Run(argv, WithPreload(env), tmp_, 300);
  EXPECT_TRUE(pre.Ok()) << pre.Describe() << pre.out;
  EXPECT_NE(pre.out.find("Tests result: SUCCESS"), std::string::npos) << pre.out;
  EXPECT_EQ(pre.err.find("hakmem: "), std::string::npos) << pre.err;
}

// ------------------------------------------------------------------ g++

constexpr const char* kCxxSource = R"CC(
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

struct Node { std::string name; std::vector<std::unique_ptr<Node>> kids; };

static unsigned Build(Node& n, int depth, unsigned seed) {
  unsigned count = 1;
  for (int i = 0; depth > 0 && i < 3; ++i) {
    auto k = std::make_unique<Node>();
    k->name = n.name + "/" + std::to_string((seed * 31u + i) % 1000u);
    count += Build(*k, depth - 1, seed * 7u + i);
    n.kids.push_back(std::move(k));
  }
  return count;
}

int main() {
  Node root{"root", {}};
  unsigned nodes = Build(root, 8, 1);
  std::map<std::string, int> m;
  std::unordered_map<int, std::string> u;
  for (int i = 0; i < 20000; ++i) {
    m["k" + std::to_string(i * 7919 % 20011)] = i;
    u[i] = std::string(i % 40, 'a' + i % 26);
  }
  std::vector<std::string> v;
  for (auto& [k, val] : m) v.push_back(k + ":" + std::to_string(val));
  std::sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a > b;
  });
  std::ostringstream os;
  for (size_t i = 0; i < v.size(); i += 1000) os << v[i] << ",";
  size_t total = 0;
  for (auto& [k, s] : u) total += s.size() * (k % 3);
  std::printf("%u %zu %zu %s\n", nodes, m.size(), total, os.str().c_str());
  return 0;
}
)CC";

TEST_F(RealProgramsTest, GxxCompilesAndTheProgramsMatch) {
  std::string gxx = Require("g++");
  if (gxx.empty()) GTEST_SKIP() << "g++ is not installed";
  WriteFile(tmp_ / "prog.cc", kCxxSource);
  auto env = BaseEnv();
  auto pre_env = WithPreload(env);

  // 1. Assembly on stdout: the compiler's own output must be byte-identical.
  std::vector<std::string> to_asm = {gxx, "-std=c++20", "-O2", "-frandom-seed=hakmem",
                                     "-S", "-o", "-", "prog.cc"};
  RunResult asm_plain = hakmem_test::Run(to_asm, env, tmp_, kDeadlineSeconds);
  RunResult asm_pre = hakmem_test::Run(to_asm, pre_env, tmp_, kDeadlineSeconds);
  ExpectSameRun("g++ -S -o -", asm_plain, asm_pre);
  ASSERT_TRUE(asm_pre.Ok());
  EXPECT_NE(asm_plain.out.find("main:"), std::string::npos) << "no assembly for main";

  // 2. Assemble + link each variant's assembly with the same preload setting (as, collect2
  //    and ld run under the preload too), then run both executables without the preload.
  WriteFile(tmp_ / "prog_plain.s", asm_plain.out);
  WriteFile(tmp_ / "prog_preload.s", asm_pre.out);
  auto link = [&](const char* in, const char* out) {
    return std::vector<std::string>{gxx, in, "-o", out};
  };
  RunResult ld_plain = hakmem_test::Run(link("prog_plain.s", "prog_plain"), env, tmp_,
                                        kDeadlineSeconds);
  RunResult ld_pre = hakmem_test::Run(link("prog_preload.s", "prog_preload"), pre_env, tmp_,
                                      kDeadlineSeconds);
  ExpectSameRun("g++ prog.s -o prog (assemble + link)", ld_plain, ld_pre);
  ASSERT_TRUE(ld_pre.Ok());
  RunResult run_plain = hakmem_test::Run({(tmp_ / "prog_plain").string()}, env, tmp_,
                                         kDeadlineSeconds);
  RunResult run_pre = hakmem_test::Run({(tmp_ / "prog_preload").string()}, env, tmp_,
                                       kDeadlineSeconds);
  ExpectSameRun("compiled program (built with vs without preload)", run_plain, run_pre);
  EXPECT_NE(run_plain.out.find(" 20000 "), std::string::npos) << run_plain.out;
  // And the program itself under the preload.
  RunResult run_under = hakmem_test::Run({(tmp_ / "prog_plain").string()}, pre_env, tmp_,
                                         kDeadlineSeconds);
  ExpectSameRun("compiled program run under the preload", run_plain, run_under);
}

// ------------------------------------------------------------------ git

struct GitStep {
  std::string name;
  RunResult result;
};

TEST_F(RealProgramsTest, GitInitAddCommitLog) {
  std::string git = Require("git");
  if (git.empty()) GTEST_SKIP() << "git is not installed";

  // The same session at the same path, once per variant, so the outputs (hashes, paths)
  // are directly comparable.
  auto session = [&](const std::vector<std::string>& env) {
    std::vector<GitStep> steps;
    const fs::path repo = tmp_ / "repo";
    std::error_code ec;
    fs::remove_all(repo, ec);
    auto run = [&](const std::string& name, std::vector<std::string> args, const fs::path& cwd) {
      args.insert(args.begin(), {git, "-c", "gc.auto=0", "-c", "maintenance.auto=false"});
      steps.push_back({name, hakmem_test::Run(args, env, cwd.string(), kDeadlineSeconds)});
    };
    run("init", {"init", "-q", "-b", "main", "repo"}, tmp_);
    for (int i = 0; i < 200; ++i) {
      std::string body;
      for (int line = 0; line < 50 + i % 40; ++line) {
        body += "file " + std::to_string(i) + " line " + std::to_string(line * 7 % 31) + "\n";
      }
      fs::create_directories(repo / ("dir" + std::to_string(i % 10)));
      WriteFile(repo / ("dir" + std::to_string(i % 10)) / ("f" + std::to_string(i) + ".txt"), body);
    }
    run("add 1", {"add", "-A"}, repo);
    run("commit 1", {"commit", "-q", "-m", "first commit"}, repo);
    for (int i = 0; i < 200; i += 3) {
      fs::path f = repo / ("dir" + std::to_string(i % 10)) / ("f" + std::to_string(i) + ".txt");
      std::ofstream(f, std::ios::app) << "appended line for " << i << "\n";
    }
    fs::remove(repo / "dir1" / "f1.txt", ec);
    WriteFile(repo / "README", "hakmem real-program test\n");
    run("add 2", {"add", "-A"}, repo);
    run("commit 2", {"commit", "-q", "-m", "second commit"}, repo);
    run("log", {"log", "--format=%H %T %an <%ae> %ad %cn %cd %s", "--date=iso-strict"}, repo);
    run("log --stat -p", {"log", "--stat", "-p", "--format=%H %s"}, repo);
    run("status", {"status", "--porcelain=v1"}, repo);
    run("gc", {"gc", "--quiet"}, repo);
    run("rev-list --objects", {"rev-list", "--objects", "--all"}, repo);
    run("fsck", {"fsck", "--full", "--strict", "--no-progress"}, repo);
    run("cat-file HEAD~1:dir7/f7.txt", {"cat-file", "-p", "HEAD~1:dir7/f7.txt"}, repo);
    return steps;
  };

  auto env = BaseEnv();
  hakmem_test::SetEnv(env, "HOME", tmp_.string());
  hakmem_test::SetEnv(env, "GIT_CONFIG_NOSYSTEM", "1");
  hakmem_test::SetEnv(env, "GIT_CONFIG_GLOBAL", "/dev/null");
  hakmem_test::SetEnv(env, "GIT_TERMINAL_PROMPT", "0");
  hakmem_test::SetEnv(env, "GIT_AUTHOR_NAME", "Hak Mem");
  hakmem_test::SetEnv(env, "GIT_AUTHOR_EMAIL", "hakmem@example.org");
  hakmem_test::SetEnv(env, "GIT_AUTHOR_DATE", "2024-01-02T03:04:05+00:00");
  hakmem_test::SetEnv(env, "GIT_COMMITTER_NAME", "Hak Mem");
  hakmem_test::SetEnv(env, "GIT_COMMITTER_EMAIL", "hakmem@example.org");
  hakmem_test::SetEnv(env, "GIT_COMMITTER_DATE", "2024-01-02T03:04:05+00:00");

  std::vector<GitStep> plain = session(env);
  std::vector<GitStep> pre = session(WithPreload(env));
  ASSERT_EQ(plain.size(), pre.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    ExpectSameRun("git " + plain[i].name, plain[i].result, pre[i].result);
  }
  // The log really shows the two commits.
  const std::string& log = plain[5].result.out;
  EXPECT_EQ(plain[5].name, "log");
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << log;
  EXPECT_NE(log.find("second commit"), std::string::npos) << log;
}

// ------------------------------------------------------------------ sort

// ~8 MiB of lines "<word> <number> <filler>", generated deterministically.
std::string GenerateSortInput(size_t lines) {
  std::string s;
  s.reserve(lines * 24);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (size_t i = 0; i < lines; ++i) {
    uint64_t r = next();
    size_t len = 3 + r % 12;
    for (size_t k = 0; k < len; ++k) s.push_back(static_cast<char>('a' + (next() % 26)));
    s += ' ' + std::to_string(next() % 100000) + ' ';
    s.append(r % 9, static_cast<char>('A' + r % 26));
    s.push_back('\n');
  }
  return s;
}

std::vector<std::string_view> Lines(std::string_view s) {
  std::vector<std::string_view> v;
  while (!s.empty()) {
    size_t nl = s.find('\n');
    v.push_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return v;
}

TEST_F(RealProgramsTest, SortMultiMegabyteFile) {
  std::string sort = Require("sort");
  if (sort.empty()) GTEST_SKIP() << "sort is not installed";
  const size_t kLines = 350000;
  std::string input = GenerateSortInput(kLines);
  ASSERT_GT(input.size(), size_t{6} << 20);
  WriteFile(tmp_ / "input.txt", input);
  auto env = BaseEnv();
  auto pre_env = WithPreload(env);

  // Whole-file in-memory sort (GNU sort uses several threads for this).
  std::vector<std::string> plain_sort = {sort, "--parallel=2", "input.txt"};
  RunResult a = hakmem_test::Run(plain_sort, env, tmp_, kDeadlineSeconds);
  RunResult b = hakmem_test::Run(plain_sort, pre_env, tmp_, kDeadlineSeconds);
  ExpectSameRun("sort input.txt", a, b);
  std::vector<std::string_view> lines = Lines(a.out);
  EXPECT_EQ(lines.size(), kLines);
  EXPECT_TRUE(std::is_sorted(lines.begin(), lines.end())) << "baseline output is not sorted";

  // Keyed, unique sort with a tiny buffer: spills to temporary files and merges.
  std::vector<std::string> keyed = {sort, "-u", "-t", " ", "-k2,2n", "-k1,1", "-S", "256K",
                                    "-T", tmp_.string(), "input.txt"};
  RunResult c = hakmem_test::Run(keyed, env, tmp_, kDeadlineSeconds);
  RunResult d = hakmem_test::Run(keyed, pre_env, tmp_, kDeadlineSeconds);
  ExpectSameRun("sort -u -k2,2n -S 256K", c, d);
  EXPECT_GT(c.out.size(), size_t{1} << 20);
}

}  // namespace
