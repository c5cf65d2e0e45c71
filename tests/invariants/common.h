// Shared helpers of tests/invariants: regex escaping and the expected report lines.
#pragma once

#include <string>

#include "registry/registry.h"

namespace hm_test {

// s with every POSIX extended-regex metacharacter escaped.
inline std::string re_escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) o += '\\';
    o += c;
  }
  return o;
}

// The first line of the fail-fast report of invariant `id`.
inline std::string violation_regex(std::string_view id) {
  const auto* inv = hm::registry::find_invariant(id);
  if (!inv) return "no such invariant";
  return "hakmem: invariant " + re_escape(inv->id) + " broken in box " + re_escape(inv->box) + ": " +
         re_escape(inv->text) + " at 0x[0-9a-f]+";
}

}  // namespace hm_test
