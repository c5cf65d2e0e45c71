// A stand-in for a libFuzzer harness, for the driver test: records its arguments in the file
// named by FAKE_HARNESS_ARGS, prints libFuzzer-style status lines and, with FAKE_HARNESS_CRASH
// set, writes a crash artifact under -artifact_prefix and fails. Asked to minimise a crash
// (-minimize_crash=1), it writes a shorter input to -exact_artifact_path. With FAKE_HARNESS_BURN_MS
// set it first spends that many milliseconds of CPU time.
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace {
std::string flag(int argc, char** argv, const char* name) {
  size_t n = std::strlen(name);
  for (int i = 1; i < argc; ++i)
    if (!std::strncmp(argv[i], name, n) && argv[i][n] == '=') return argv[i] + n + 1;
  return "";
}
}  // namespace

int main(int argc, char** argv) {
  if (const char* log = std::getenv("FAKE_HARNESS_ARGS")) {
    std::ofstream out(log, std::ios::app);
    for (int i = 1; i < argc; ++i) out << argv[i] << (i + 1 < argc ? " " : "\n");
  }
  if (const char* ms = std::getenv("FAKE_HARNESS_BURN_MS")) {
    volatile unsigned long spin = 0;
    while (std::clock() < static_cast<std::clock_t>(std::atol(ms)) * (CLOCKS_PER_SEC / 1000)) spin = spin + 1;
  }
  if (flag(argc, argv, "-minimize_crash") == "1") {
    std::ofstream(flag(argc, argv, "-exact_artifact_path")) << "min";
    return 0;
  }
  std::printf("#2\tINITED cov: 7 ft: 9 corp: 1/1b exec/s: 0 rss: 1Mb\n");
  std::printf("#4000\tDONE cov: 11 ft: 13 corp: 2/2b exec/s: 2000 rss: 1Mb\n");
  if (std::getenv("FAKE_HARNESS_CRASH")) {
    std::ofstream(flag(argc, argv, "-artifact_prefix") + "crash-0123abcd") << "a longer crashing input";
    std::printf("==1==ERROR: fake crash\n");
    return 1;
  }
  std::printf("stat::number_of_executed_units: 4000\nstat::average_exec_per_sec:     2000\n");
  return 0;
}
