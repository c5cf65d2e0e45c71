// Hotspots by default: a callgrind profile of the topic's profile on the hakmem in-process case of
// hakmem-bench, annotated and cached per commit, for the questionnaire's per-box instruction shares.
#pragma once

#include <optional>
#include <string>

#include "model.h"

namespace hm::review {

struct HotspotRequest {
  std::string bench;      // hakmem-bench binary (used when `build_dir` is empty or its build fails)
  // When set: the source tree and a build folder where hakmem-bench is built with the release flags plus
  // debug information (-g changes no generated code), so instructions map to their box's source files.
  std::string source_dir, build_dir;
  std::string profile;    // benchmark profile (mixed, ring:50, ...)
  GitState git;           // the cache key is the commit; a dirty tree is profiled but not cached
  std::string cache_dir;  // where annotated profiles are kept
  std::string bench_display, cache_display, build_display;  // repo-relative forms, for the questionnaire
  unsigned long iters = 200000;
};

// The annotated profile (callgrind_annotate text) from the cache or a fresh run, with a sentence saying how it
// was made; nullopt with `why` set when no profile can be made (no valgrind, no benchmark binary, a failed run).
std::optional<std::string> default_hotspots(const HotspotRequest& r, std::string& how, std::string& why);

// The hakmem-bench case of a profile for the hakmem in-process variant ("ring:50" -> "ring/hakmem/remote:50").
std::string hakmem_case(const std::string& profile);
std::string cache_file(const HotspotRequest& r);

}  // namespace hm::review
