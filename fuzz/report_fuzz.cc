// Fuzz harness of the report box: log_once with input-chosen flags and lines, and (in a child
// process, since reports abort) report_misuse / report_violation with input-chosen kinds,
// addresses and site fields, including arbitrary expected/found strings. The child must die by
// SIGABRT after writing a human line naming the kind, address, box and invariant, and a JSON
// line that is one balanced object.
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "fuzz_common.h"
#include "report/report.h"

using namespace hm;

namespace {

// libFuzzer's timer signals may interrupt the parent's reads and waits: retry them.
ssize_t read_retry(int fd, char* buf, size_t n) {
  ssize_t r;
  do r = read(fd, buf, n);
  while (r < 0 && errno == EINTR);
  return r;
}

void wait_child(pid_t pid, int* status) {
  while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
  }
}

std::string run_child(bool violation, unsigned which, const report::Site& site, int* status) {
  int pfd[2];
  HM_FUZZ_CHECK(pipe(pfd) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pfd[1], 2);
    close(pfd[0]);
    report::set_json_path("");  // JSON to stderr (the child's pipe)
    if (violation) report::report_violation(static_cast<registry::InvId>(which), site);
    report::report_misuse(static_cast<registry::ErrorId>(which), site);
  }
  close(pfd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read_retry(pfd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(pfd[0]);
  wait_child(pid, status);
  return out;
}

// A JSON object on one line: braces balance outside strings, strings close, no raw control
// characters inside strings.
bool json_line_ok(const std::string& s) {
  if (s.empty() || s.front() != '{' || s.back() != '}') return false;
  int depth = 0;
  bool in_str = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_str) {
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c == '\\') ++i;
      else if (c == '"') in_str = false;
    } else if (c == '"') {
      in_str = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth < 0) return false;
    }
  }
  return depth == 0 && !in_str;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hm_fuzz::Input in(data, size);
  static bool flags[16];
  uint8_t op = in.u8();
  if (op % 8 != 7) {  // log_once: prints its line once per flag
    bool& f = flags[in.u8() % 16];
    bool was = f;
    int pfd[2];
    HM_FUZZ_CHECK(pipe(pfd) == 0);
    fcntl(pfd[0], F_SETFL, O_NONBLOCK);
    int saved = dup(2);
    dup2(pfd[1], 2);
    report::log_once(&f, "hakmem-fuzz: log_once line\n");
    dup2(saved, 2);
    close(saved);
    close(pfd[1]);
    char buf[64];
    ssize_t n = read_retry(pfd[0], buf, sizeof buf);
    close(pfd[0]);
    HM_FUZZ_CHECK(f);
    HM_FUZZ_CHECK(was ? n <= 0 : n == 27);
    return 0;
  }
  if (op % 16 == 6) {  // report_fatal with input-chosen text
    static char what[200], why[200];
    what[in.bytes(what, in.u8() % 199)] = '\0';
    why[in.bytes(why, in.u8() % 199)] = '\0';
    int pfd[2];
    HM_FUZZ_CHECK(pipe(pfd) == 0);
    pid_t pid = fork();
    if (pid == 0) {
      dup2(pfd[1], 2);
      report::report_fatal(what, why);
    }
    close(pfd[1]);
    char buf[1024];
    ssize_t n = read_retry(pfd[0], buf, sizeof buf);
    close(pfd[0]);
    int status = 0;
    wait_child(pid, &status);
    HM_FUZZ_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    HM_FUZZ_CHECK(n > 8 && std::memcmp(buf, "hakmem: ", 8) == 0);
    return 0;
  }
  bool violation = in.u8() & 1;
  unsigned which = violation ? in.u8() % std::size(registry::kInvariants) : in.u8() % std::size(registry::kErrors);
  static char expected[1024], found[1024];
  report::Site site;
  site.addr = reinterpret_cast<const void*>(in.u64());
  site.size_class = static_cast<int>(in.u8()) - 1;
  size_t k = in.bytes(expected, in.u16() % (sizeof expected - 1));
  expected[k] = '\0';
  k = in.bytes(found, in.u16() % (sizeof found - 1));
  found[k] = '\0';
  if (expected[0]) site.expected = expected;
  if (found[0]) site.found = found;
  int status = 0;
  std::string out = run_child(violation, which, site, &status);
  HM_FUZZ_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
  std::string first = out.substr(0, out.find('\n'));
  char addr[32];
  std::snprintf(addr, sizeof addr, "0x%lx", reinterpret_cast<unsigned long>(site.addr));
  HM_FUZZ_CHECK(first.find(addr) != std::string::npos);
  if (violation) {
    const auto& v = registry::kInvariants[which];
    HM_FUZZ_CHECK(first.rfind("hakmem: invariant " + std::string(v.id), 0) == 0);
  } else {
    const auto& e = registry::kErrors[which];
    HM_FUZZ_CHECK(first.rfind("hakmem: " + std::string(e.text), 0) == 0);
    HM_FUZZ_CHECK(first.find("(box " + std::string(e.box) + ", " + std::string(e.invariant) + ")") !=
                  std::string::npos);
  }
  // The JSON line is a line of its own (the same text may also appear inside a quoted field).
  size_t j = out.rfind("\n{\"hakmem_report\":1");
  HM_FUZZ_CHECK(j != std::string::npos);
  ++j;
  HM_FUZZ_CHECK(json_line_ok(out.substr(j, out.find('\n', j) - j)));
  hm_fuzz::check_invariants("report");
  return 0;
}
