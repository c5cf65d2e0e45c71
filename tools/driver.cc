// hakmem: the one command of the toolkit. `hakmem <sub> args...` runs the
// executable hakmem-<sub> that sits next to this one (as git does), so each
// tool stays its own small program owned by its folder (bench/, review/, ...).
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/self_dir.h"

namespace {

using hm_tools::self_dir;

void usage() {
  std::fprintf(stderr,
               "usage: hakmem <command> [args...]\n"
               "commands (each is the program hakmem-<command> beside this one):\n"
               "  registry   dump the box/gate/invariant registry (--json | --markdown | --layers)\n"
               "  sbs        side-by-side benchmark against mimalloc, glibc and other peers\n"
               "  ab         same-binary A/B of HAKMEM_* gates, with verdict and ledger entry\n"
               "  run        run a program on the debug build with invariant checks\n"
               "  fuzz       run every fuzz harness for a time budget\n"
               "  review     write a design-review questionnaire, check an answer, plan its A/B\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
    usage();
    return argc < 2 ? 2 : 0;
  }
  std::string sub = argv[1];
  if (sub.find('/') != std::string::npos) {
    std::fprintf(stderr, "hakmem: bad command name '%s'\n", sub.c_str());
    return 2;
  }
  std::string path = self_dir() + "/hakmem-" + sub;
  std::vector<char*> args;
  args.push_back(const_cast<char*>(path.c_str()));
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execv(path.c_str(), args.data());
  std::fprintf(stderr, "hakmem: unknown command '%s' (no %s)\n", sub.c_str(), path.c_str());
  usage();
  return 2;
}
