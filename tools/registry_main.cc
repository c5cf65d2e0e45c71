// hakmem-registry: prints the registry compiled into the allocator.
#include <cstdio>
#include <cstring>

#include "registry/registry.h"

int main(int argc, char** argv) {
  if (argc == 2 && !std::strcmp(argv[1], "--json")) {
    std::fputs(hm::registry::json(), stdout);
    return 0;
  }
  if (argc == 2 && !std::strcmp(argv[1], "--markdown")) {
    std::fputs(hm::registry::markdown(), stdout);
    return 0;
  }
  if (argc == 2 && !std::strcmp(argv[1], "--layers")) {
    std::fputs(hm::registry::layers_markdown(), stdout);
    return 0;
  }
  std::fprintf(stderr, "usage: hakmem registry --json | --markdown | --layers\n");
  return 2;
}
