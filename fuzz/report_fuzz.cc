// Fuzz harness of the report box: log_once with input-chosen flags and lines, and
// report_misuse / report_violation / report_fatal with input-chosen kinds, addresses and site
// fields, including arbitrary expected/found strings. Each report runs in this process with
// stderr on a pipe; the report box's exit seam turns its final SIGABRT into a longjmp back to
// the harness, which checks that the report ended there after writing a human line naming the
// kind, address, box and invariant, and a JSON line that is one balanced object.
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <unistd.h>

#include <string>

#include "fuzz_common.h"
#include "hakmem/hakmem.h"
#include "report/inspect.h"
#include "report/report.h"

using namespace hm;

namespace {

// Runs a report with fd 2 on a pipe (the report writes at most 32 KiB, under a pipe's
// capacity) and its JSON line on stderr too; returns what it wrote and whether it ended through
// the exit seam.
template <class F>
std::string capture(F report_fn, bool* exited) {
  report::set_json_path("");
  return hm_fuzz::capture_report(report_fn, exited);
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
    ssize_t n = read(pfd[0], buf, sizeof buf);
    close(pfd[0]);
    HM_FUZZ_CHECK(f);
    HM_FUZZ_CHECK(was ? n <= 0 : n == 27);
    return 0;
  }
  if (op % 32 == 15) {  // check_hook: a crossing of the front, recorded last in the thread's ring
    void* p = hm_malloc(1 + in.u16() % 4096);
    HM_FUZZ_CHECK(p != nullptr);
    report::EventRecord before[report::kEventRing], after[report::kEventRing];
    unsigned n0 = report::recent_events(registry::BoxId::front, before, report::kEventRing);
    report::check_hook(report::Event::malloc, p, 0);  // what the front's hook does for this block
    unsigned n1 = report::recent_events(registry::BoxId::front, after, report::kEventRing);
    HM_FUZZ_CHECK(n1 >= 1 && n1 >= n0 && after[n1 - 1].ev == report::Event::malloc && after[n1 - 1].obj == p);
    HM_FUZZ_CHECK(after[n1 - 1].seq == (n0 ? before[n0 - 1].seq : 0) + 1);
    hm_free(p);
    return 0;
  }
  if (op % 32 == 23) {  // report_fatal with input-chosen text
    static char what[200], why[200];
    what[in.bytes(what, in.u8() % 199)] = '\0';
    why[in.bytes(why, in.u8() % 199)] = '\0';
    bool exited = false;
    std::string out = capture([&] { report::report_fatal(what, why); }, &exited);
    HM_FUZZ_CHECK(exited);
    HM_FUZZ_CHECK(out.rfind("hakmem: ", 0) == 0 && out.back() == '\n');
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
  bool exited = false;
  std::string out = capture(
      [&] {
        if (violation) report::report_violation(static_cast<registry::InvId>(which), site);
        report::report_misuse(static_cast<registry::ErrorId>(which), site);
      },
      &exited);
  HM_FUZZ_CHECK(exited);
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
