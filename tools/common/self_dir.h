// The directory of the running executable, for the tools that find their siblings
// (hakmem-<sub>, hakmem-bench, ../lib/libhakmem.so). "." when /proc/self/exe is unreadable.
#pragma once

#include <unistd.h>

#include <climits>
#include <string>

namespace hm_tools {

inline std::string self_dir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  buf[n] = '\0';
  std::string s(buf);
  auto slash = s.rfind('/');
  return slash == std::string::npos ? "." : s.substr(0, slash);
}

}  // namespace hm_tools
