// as_limit KIB PRELOAD PROGRAM [ARGS...]: runs PROGRAM with its address space limited to KIB
// KiB (RLIMIT_AS, as `ulimit -v KIB` does) and, unless PRELOAD is "-", LD_PRELOAD=PRELOAD. The
// limit is set here, in the child, before the exec: the dynamic loader maps the preloaded
// library under it. Used by tests/preload/address_limit_test.cc.
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: as_limit KIB PRELOAD|- PROGRAM [ARGS...]\n");
    return 125;
  }
  rlim_t bytes = static_cast<rlim_t>(std::strtoull(argv[1], nullptr, 10)) * 1024;
  rlimit lim{bytes, bytes};
  if (setrlimit(RLIMIT_AS, &lim) != 0) {
    std::fprintf(stderr, "as_limit: setrlimit: %s\n", std::strerror(errno));
    return 125;
  }
  if (std::strcmp(argv[2], "-") != 0) setenv("LD_PRELOAD", argv[2], 1);
  execv(argv[3], argv + 3);
  std::fprintf(stderr, "as_limit: exec %s: %s\n", argv[3], std::strerror(errno));
  return 127;
}
