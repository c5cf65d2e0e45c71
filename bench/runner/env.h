// Child environments of the runners. A benchmark child sees only:
//   PATH (from the parent, or a default), the benchmark's own settings
//   (HMB_*: inherited from the parent, then overridden by the runner's flags),
//   the variant's HAKMEM_* gates and, for preloaded allocators, LD_PRELOAD.
// HAKMEM_* variables exported to a runner are "stray": the runners refuse to
// start and name them, so no gate leaks silently into a comparison.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace hmb {

using EnvMap = std::map<std::string, std::string>;

inline constexpr const char* kGatePrefix = "HAKMEM_";
inline constexpr const char* kSettingPrefix = "HMB_";
inline constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// "NAME=value" strings (as in environ) to a map; entries without '=' are skipped.
EnvMap env_from_strings(const std::vector<std::string>& entries);
EnvMap env_from_environ(char** envp);
std::vector<std::string> env_to_strings(const EnvMap& env);

// Names of HAKMEM_* variables present in `env`, sorted.
std::vector<std::string> stray_gates(const EnvMap& env);
// "" when `stray` is empty, else the refusal message naming every variable.
std::string stray_refusal(const std::vector<std::string>& stray);

// Parses "HAKMEM_X=1" or "HAKMEM_X=1,HAKMEM_Y=2" (each element of `args`).
// Throws std::invalid_argument on a missing '=', an empty name, a name outside
// HAKMEM_*, or one name given twice.
EnvMap parse_gates(const std::vector<std::string>& args);

// Names whose values differ between a and b (present in one only counts), sorted,
// joined with ','. "" when a and b are identical.
std::string differing_gates(const EnvMap& a, const EnvMap& b);

struct ChildEnvSpec {
  EnvMap settings;      // HMB_* set by the runner's flags
  EnvMap gates;         // HAKMEM_* of this variant
  std::string preload;  // LD_PRELOAD value, empty for none
};
// Builds the scrubbed environment of one child from the parent's. Throws
// std::invalid_argument when a setting is not HMB_* or a gate not HAKMEM_*.
EnvMap scrub_env(const EnvMap& parent, const ChildEnvSpec& spec);

}  // namespace hmb
