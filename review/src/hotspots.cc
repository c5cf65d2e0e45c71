// Hotspots by default (hotspots.h).
#include "hotspots.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace hm::review {

namespace fs = std::filesystem;

std::string hakmem_case(const std::string& profile) {
  auto colon = profile.find(':');
  if (colon == std::string::npos) return profile + "/hakmem";
  return profile.substr(0, colon) + "/hakmem/remote:" + profile.substr(colon + 1);
}

std::string cache_file(const HotspotRequest& r) {
  std::string p = r.profile;
  for (auto& c : p)
    if (c == ':' || c == '/') c = '_';
  return (fs::path(r.cache_dir) / (r.git.commit + "-" + p + ".callgrind.txt")).string();
}

std::optional<std::string> default_hotspots(const HotspotRequest& r, std::string& how, std::string& why) {
  bool cacheable = r.git.commit != "(none)" && !r.git.dirty;
  std::string cached = cache_file(r);
  std::string made;
  if (cacheable && fs::exists(cached)) {  // the sentence saying how it was made is kept beside it
    made = fs::exists(cached + ".how") ? read_file(cached + ".how")
                                       : "callgrind of the hakmem in-process case on profile `" + r.profile + "`";
    how = made + ", cached in `" + r.cache_display + "`";
    return read_file(cached);
  }
  std::string bench = r.bench, bench_display = r.bench_display, note;
  if (!r.build_dir.empty()) {
    // Release flags plus -g; configure once, then rebuild only hakmem-bench (quietly, at most two jobs).
    std::string log = " >/dev/null 2>&1";
    std::string configure = fs::exists(fs::path(r.build_dir) / "CMakeCache.txt")
                                ? std::string("true")
                                : "cmake -S '" + r.source_dir + "' -B '" + r.build_dir +
                                      "' -DCMAKE_BUILD_TYPE=Release '-DCMAKE_CXX_FLAGS_RELEASE=-O3 -DNDEBUG -g' "
                                      "'-DCMAKE_C_FLAGS_RELEASE=-O3 -DNDEBUG -g'" + log;
    std::string build = "cmake --build '" + r.build_dir + "' --target hakmem-bench -j2" + log;
    std::string built = (fs::path(r.build_dir) / "bin" / "hakmem-bench").string();
    if (std::system((configure + " && " + build).c_str()) == 0 && fs::exists(built)) {
      bench = built;
      bench_display = r.build_display + "/bin/hakmem-bench";
      note = " (release flags with debug information)";
    } else {
      note = " (the build with debug information in `" + r.build_display + "` failed; this binary has none)";
    }
  }
  made = "callgrind of the hakmem in-process case of `" + bench_display + "`" + note + " on profile `" + r.profile +
         "` (" + std::to_string(r.iters) + " iterations) at commit " + r.git.commit.substr(0, 12);
  if (!fs::exists(bench)) {
    why = "no benchmark binary `" + bench_display + "` to profile (build the release preset)";
    return std::nullopt;
  }
  if (std::system("command -v valgrind >/dev/null 2>&1 && command -v callgrind_annotate >/dev/null 2>&1") != 0) {
    why = "valgrind (callgrind) is not installed";
    return std::nullopt;
  }
  std::string tmp = (fs::temp_directory_path() / ("hakmem-review-cg-" + std::to_string(::getpid()))).string();
  // A scrubbed environment: no exported HAKMEM_* gate may change the profile.
  std::string cmd = "env -i PATH=/usr/bin:/bin HMB_ITERS=" + std::to_string(r.iters) +
                    " valgrind --tool=callgrind --callgrind-out-file='" + tmp + ".out' '" + bench +
                    "' '--benchmark_filter=^" + hakmem_case(r.profile) + "(/|$)' >/dev/null 2>&1 && callgrind_annotate "
                    "--threshold=100 '" + tmp + ".out' >'" + tmp + ".txt' 2>/dev/null";
  int rc = std::system(cmd.c_str());
  std::error_code ec;
  fs::remove(tmp + ".out", ec);
  if (rc != 0 || !fs::exists(tmp + ".txt")) {
    fs::remove(tmp + ".txt", ec);
    why = "the callgrind run of `" + bench_display + "` on profile `" + r.profile + "` failed";
    return std::nullopt;
  }
  std::string text = read_file(tmp + ".txt");
  fs::remove(tmp + ".txt", ec);
  if (cacheable) {
    write_file(cached, text);
    write_file(cached + ".how", made);
    how = made + ", cached in `" + r.cache_display + "`";
  } else {
    how = made + " (uncommitted changes: not cached)";
  }
  return text;
}

}  // namespace hm::review
