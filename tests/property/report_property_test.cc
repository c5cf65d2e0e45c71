// Property test of the report box: log_once, report_misuse and report_violation.
//
// Model: the set of log_once flags already raised (a raised flag prints nothing again), and
// for the fail-fast reports the registry's texts: a report of kind K about address A runs in a
// child process (it aborts), which must die by SIGABRT after writing the human line
// "hakmem: <kind text> ... 0x<A> (box <box>, <ID>)" and one JSON line carrying the same fields.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "hakmem/hakmem.h"
#include "property_common.h"
#include "report/inspect.h"
#include "report/report.h"

namespace {

using namespace hm;

// Runs fn with stderr redirected into a pipe; returns what it wrote.
template <typename Fn>
std::string capture_stderr(Fn fn) {
  int pfd[2];
  if (pipe(pfd) != 0) return "<pipe failed>";
  int saved = dup(2);
  dup2(pfd[1], 2);
  close(pfd[1]);
  fn();
  dup2(saved, 2);
  close(saved);
  std::string out;
  fcntl(pfd[0], F_SETFL, O_NONBLOCK);
  char buf[4096];
  ssize_t n;
  while ((n = read(pfd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(pfd[0]);
  return out;
}

// Runs fn in a child with stderr into a pipe; returns (exit status, output).
template <typename Fn>
std::pair<int, std::string> in_child(Fn fn) {
  int pfd[2];
  if (pipe(pfd) != 0) return {-1, ""};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pfd[1], 2);
    close(pfd[0]);
    fn();
    _exit(0);  // not reached: reports abort
  }
  close(pfd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(pfd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(pfd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {status, out};
}

std::string hex(uintptr_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%lx", static_cast<unsigned long>(v));
  return b;
}

constexpr size_t kFlags = 8;
struct Model {
  std::vector<bool> raised = std::vector<bool>(kFlags, false);
};
struct Sut {
  bool flags[kFlags] = {};
};
using Cmd = rc::state::Command<Model, Sut>;

struct LogOnce : Cmd {
  size_t flag = *rc::gen::inRange<size_t>(0, kFlags);
  std::string text = *rc::gen::container<std::string>(rc::gen::inRange('a', 'z'));
  void apply(Model& m) const override { m.raised[flag] = true; }
  void run(const Model& m, Sut& s) const override {
    std::string line = "hakmem-test: " + text + "\n";
    std::string out = capture_stderr([&] { report::log_once(&s.flags[flag], line.c_str()); });
    RC_ASSERT(out == (m.raised[flag] ? std::string() : line));
    RC_ASSERT(s.flags[flag]);
    hm_prop::check_invariants("report");
  }
  void show(std::ostream& os) const override { os << "log_once(flag " << flag << ")"; }
};

struct Misuse : Cmd {
  size_t kind = *rc::gen::inRange<size_t>(0, std::size(registry::kErrors));
  uintptr_t addr = *rc::gen::arbitrary<uintptr_t>();
  void run(const Model&, Sut&) const override {
    auto [status, out] = in_child([&] {
      report::Site site;
      site.addr = reinterpret_cast<const void*>(addr);
      report::report_misuse(static_cast<registry::ErrorId>(kind), site);
    });
    const auto& e = registry::kErrors[kind];
    RC_ASSERT(WIFSIGNALED(status));
    RC_ASSERT(WTERMSIG(status) == SIGABRT);
    std::string first = out.substr(0, out.find('\n'));
    RC_ASSERT(first.rfind("hakmem: " + std::string(e.text), 0) == 0);
    RC_ASSERT(first.find(hex(addr)) != std::string::npos);
    RC_ASSERT(first.find("(box " + std::string(e.box) + ", " + std::string(e.invariant) + ")") != std::string::npos);
    size_t j = out.find("{\"hakmem_report\":1");
    RC_ASSERT(j != std::string::npos);
    std::string json = out.substr(j, out.find('\n', j) - j);
    RC_ASSERT(json.find("\"type\":\"misuse\"") != std::string::npos);
    RC_ASSERT(json.find("\"kind\":\"" + std::string(e.text) + "\"") != std::string::npos);
    RC_ASSERT(json.find("\"addr\":\"" + hex(addr) + "\"") != std::string::npos);
    RC_ASSERT(json.back() == '}');
  }
  void show(std::ostream& os) const override { os << "report_misuse(" << kind << ", " << hex(addr) << ")"; }
};

struct Violation : Cmd {
  size_t inv = *rc::gen::inRange<size_t>(0, std::size(registry::kInvariants));
  uintptr_t addr = *rc::gen::arbitrary<uintptr_t>();
  void run(const Model&, Sut&) const override {
    auto [status, out] = in_child([&] {
      report::Site site;
      site.addr = reinterpret_cast<const void*>(addr);
      report::report_violation(static_cast<registry::InvId>(inv), site);
    });
    const auto& v = registry::kInvariants[inv];
    RC_ASSERT(WIFSIGNALED(status));
    RC_ASSERT(WTERMSIG(status) == SIGABRT);
    std::string first = out.substr(0, out.find('\n'));
    RC_ASSERT(first.rfind("hakmem: invariant " + std::string(v.id) + " broken in box " + std::string(v.box), 0) == 0);
    RC_ASSERT(first.find(hex(addr)) != std::string::npos);
    RC_ASSERT(out.find("{\"hakmem_report\":1") != std::string::npos);
  }
  void show(std::ostream& os) const override { os << "report_violation(" << inv << ", " << hex(addr) << ")"; }
};

// report_fatal: one line naming what and why, then SIGABRT.
struct Fatal : Cmd {
  std::string what = "HAKMEM_" + *rc::gen::container<std::string>(rc::gen::inRange('A', 'Z'));
  std::string why = *rc::gen::container<std::string>(rc::gen::inRange('a', 'z'));
  void run(const Model&, Sut&) const override {
    auto [status, out] = in_child([&] { report::report_fatal(what.c_str(), why.c_str()); });
    RC_ASSERT(WIFSIGNALED(status));
    RC_ASSERT(WTERMSIG(status) == SIGABRT);
    RC_ASSERT(out.rfind("hakmem: ", 0) == 0);
    RC_ASSERT(out.find(what) != std::string::npos);
    RC_ASSERT(out.find(why) != std::string::npos);
  }
  void show(std::ostream& os) const override { os << "report_fatal(" << what << ", " << why << ")"; }
};

// set_json_path: the JSON line goes to the file, the human line stays on stderr.
struct JsonToFile : Cmd {
  size_t kind = *rc::gen::inRange<size_t>(0, std::size(registry::kErrors));
  void run(const Model&, Sut&) const override {
    char path[] = "/tmp/hakmem-report-XXXXXX";
    int fd = mkstemp(path);
    RC_ASSERT(fd >= 0);
    close(fd);
    auto [status, out] = in_child([&] {
      report::set_json_path(path);
      report::report_misuse(static_cast<registry::ErrorId>(kind), report::Site{});
    });
    std::string json;
    if (FILE* f = std::fopen(path, "r")) {
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) json.append(buf, n);
      std::fclose(f);
    }
    unlink(path);
    RC_ASSERT(WIFSIGNALED(status));
    RC_ASSERT(out.rfind("hakmem: " + std::string(registry::kErrors[kind].text), 0) == 0);
    RC_ASSERT(out.find("{\"hakmem_report\":1") == std::string::npos);
    RC_ASSERT(json.rfind("{\"hakmem_report\":1", 0) == 0);
  }
  void show(std::ostream& os) const override { os << "set_json_path + report_misuse(" << kind << ")"; }
};

RC_GTEST_PROP(ReportProperty, ReportsMatchRegistryModel, ()) {
  Model m;
  Sut s;
  rc::state::check(m, s, rc::state::gen::execOneOfWithArgs<LogOnce, LogOnce, LogOnce, LogOnce, LogOnce, LogOnce,
                                                           LogOnce, LogOnce, Misuse, Violation, Fatal, JsonToFile>());
}

// check_hook, the crossing every box's HM_CHECK_HOOK calls: the event lands last in its box's ring
// (the front's: the calling thread's), one sequence number after the one before, with its object
// and argument.
TEST(ReportHook, CheckHookRecordsEachCrossingInOrder) {
  std::vector<void*> blocks;
  for (unsigned i = 0; i < report::kEventRing + 3; ++i) {
    void* p = hm_malloc(16 + 8 * i);
    ASSERT_NE(p, nullptr);
    blocks.push_back(p);
    report::EventRecord before[report::kEventRing], after[report::kEventRing];
    unsigned n0 = report::recent_events(registry::BoxId::front, before, report::kEventRing);
    report::check_hook(report::Event::malloc, p, 0);  // what the front's hook does for this block
    unsigned n1 = report::recent_events(registry::BoxId::front, after, report::kEventRing);
    ASSERT_GE(n1, 1u);
    EXPECT_LE(n1, report::kEventRing);
    EXPECT_EQ(after[n1 - 1].ev, report::Event::malloc);
    EXPECT_EQ(after[n1 - 1].obj, p);
    EXPECT_EQ(after[n1 - 1].arg, 0u);
    EXPECT_EQ(after[n1 - 1].seq, (n0 ? before[n0 - 1].seq : 0) + 1);
    for (unsigned k = 1; k < n1; ++k) EXPECT_EQ(after[k].seq, after[k - 1].seq + 1);  // oldest first
  }
  for (void* p : blocks) hm_free(p);
}

}  // namespace
