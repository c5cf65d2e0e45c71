#include "runner/env.h"

#include <set>
#include <stdexcept>

namespace hmb {

namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

EnvMap env_from_strings(const std::vector<std::string>& entries) {
  EnvMap env;
  for (const auto& e : entries) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    env.emplace(e.substr(0, eq), e.substr(eq + 1));
  }
  return env;
}

EnvMap env_from_environ(char** envp) {
  std::vector<std::string> v;
  for (char** p = envp; p && *p; ++p) v.emplace_back(*p);
  return env_from_strings(v);
}

std::vector<std::string> env_to_strings(const EnvMap& env) {
  std::vector<std::string> v;
  for (const auto& [k, val] : env) v.push_back(k + "=" + val);
  return v;
}

std::vector<std::string> stray_gates(const EnvMap& env) {
  std::vector<std::string> out;
  for (const auto& [k, v] : env)
    if (starts_with(k, kGatePrefix)) out.push_back(k);
  return out;  // std::map keeps them sorted
}

std::string stray_refusal(const std::vector<std::string>& stray) {
  if (stray.empty()) return "";
  std::string names;
  for (const auto& n : stray) names += (names.empty() ? "" : ", ") + n;
  return "refusing to start: stray HAKMEM_* variables are exported: " + names +
         ". Unset them; gates are passed per variant (hakmem ab --a/--b).";
}

EnvMap parse_gates(const std::vector<std::string>& args) {
  EnvMap gates;
  for (const auto& arg : args) {
    size_t pos = 0;
    while (pos <= arg.size()) {
      size_t comma = arg.find(',', pos);
      std::string item = arg.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      pos = comma == std::string::npos ? arg.size() + 1 : comma + 1;
      auto eq = item.find('=');
      if (eq == std::string::npos) throw std::invalid_argument("gate '" + item + "' is not NAME=VALUE");
      std::string name = item.substr(0, eq);
      if (!starts_with(name, kGatePrefix) || name.size() == std::string(kGatePrefix).size())
        throw std::invalid_argument("'" + name + "' is not a HAKMEM_* gate");
      if (!gates.emplace(name, item.substr(eq + 1)).second)
        throw std::invalid_argument("gate " + name + " given twice");
    }
  }
  return gates;
}

std::string differing_gates(const EnvMap& a, const EnvMap& b) {
  std::set<std::string> names;
  for (const auto& [k, v] : a)
    if (auto it = b.find(k); it == b.end() || it->second != v) names.insert(k);
  for (const auto& [k, v] : b)
    if (!a.count(k)) names.insert(k);
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

EnvMap scrub_env(const EnvMap& parent, const ChildEnvSpec& spec) {
  EnvMap env;
  auto path = parent.find("PATH");
  env["PATH"] = path != parent.end() && !path->second.empty() ? path->second : kDefaultPath;
  for (const auto& [k, v] : parent)
    if (starts_with(k, kSettingPrefix)) env[k] = v;
  for (const auto& [k, v] : spec.settings) {
    if (!starts_with(k, kSettingPrefix)) throw std::invalid_argument("setting '" + k + "' is not HMB_*");
    env[k] = v;
  }
  for (const auto& [k, v] : spec.gates) {
    if (!starts_with(k, kGatePrefix)) throw std::invalid_argument("gate '" + k + "' is not HAKMEM_*");
    env[k] = v;
  }
  if (!spec.preload.empty()) env["LD_PRELOAD"] = spec.preload;
  return env;
}

}  // namespace hmb
