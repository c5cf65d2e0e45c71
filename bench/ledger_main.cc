// hakmem-ledger: maintenance of the benchmark ledger without running a benchmark.
//   hakmem-ledger migrate [--ledger FILE]   rewrite every entry in portable form (repo-relative command,
//                                           HAKMEM_*/HMB_* settings only) and regenerate LEDGER.md
//   hakmem-ledger render [--ledger FILE]    regenerate LEDGER.md beside the ledger
#include <cstdio>
#include <exception>
#include <string>

#include "runner/build_info.h"
#include "runner/common.h"
#include "runner/ledger.h"

int main(int argc, char** argv) {
  const char* usage =
      "usage: hakmem-ledger migrate|render [--ledger FILE]\n"
      "  migrate  rewrite every entry in portable form, then regenerate LEDGER.md\n"
      "  render   regenerate LEDGER.md from the ledger\n"
      "  --ledger FILE  the ledger (default bench/ledger/ledger.jsonl of the source tree)\n";
  std::string cmd, ledger = hmb::default_ledger();
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--help" || s == "-h") {
      std::fputs(usage, stdout);
      return 0;
    } else if (s == "--ledger" && i + 1 < argc) {
      ledger = argv[++i];
    } else if (cmd.empty() && (s == "migrate" || s == "render")) {
      cmd = s;
    } else {
      std::fprintf(stderr, "hakmem-ledger: unexpected argument '%s'\n%s", s.c_str(), usage);
      return 2;
    }
  }
  if (cmd.empty()) {
    std::fputs(usage, stderr);
    return 2;
  }
  try {
    if (cmd == "migrate") std::printf("%d entries rewritten in portable form\n", hmb::migrate_ledger(ledger));
    std::printf("summary: %s\n", hmb::regenerate_ledger_md(ledger).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hakmem-ledger: %s\n", e.what());
    return 1;
  }
  return 0;
}
