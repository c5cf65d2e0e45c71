// Questionnaire identity (identity.h).
#include "identity.h"

#include <cstdio>
#include <regex>
#include <sstream>

namespace hm::review {

std::string fnv64_hex(const std::string& text) {
  unsigned long long h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", h);
  return b;
}

std::string registry_hash(const Registry& reg) {
  std::ostringstream s;
  for (const auto& b : reg.boxes) {
    s << "box " << b.name << " " << b.layer;
    for (const auto& d : b.deps) s << " " << d;
    s << "\n";
  }
  for (const auto& g : reg.gates) s << "gate " << g.name << " " << g.box << " " << g.type << " " << g.def << " " << g.min << " " << g.max << "\n";
  for (const auto& i : reg.invariants) s << "inv " << i.id << " " << i.box << "\n";
  return fnv64_hex(s.str());
}

std::string format_id(const Identity& id) {
  return "hakmem-review/1 topic=" + id.topic + " commit=" + id.commit + " registry=" + id.registry +
         " ledger=" + std::to_string(id.ledger) + " content=" + id.content;
}

std::optional<Identity> parse_id(const std::string& text) {
  static const std::regex re(
      R"(`?hakmem-review/1 topic=(\S+) commit=(\S+) registry=([0-9a-f]{16}) ledger=([0-9]+) content=([0-9a-f]{16})`?\s*)");
  std::smatch m;
  if (!std::regex_match(text, m, re)) return std::nullopt;
  return Identity{m[1].str(), m[2].str(), m[3].str(), m[5].str(), std::stoi(m[4].str())};
}

namespace {
const std::regex& id_line_re() {
  static const std::regex re(R"(^[-*\s]*Questionnaire-ID:\s*(.*?)\s*$)");
  return re;
}
}  // namespace

std::optional<std::pair<int, std::string>> find_id_line(const std::string& md) {
  std::istringstream in(md);
  int n = 0;
  for (std::string l; std::getline(in, l);) {
    ++n;
    std::smatch m;
    if (std::regex_match(l, m, id_line_re())) return std::make_pair(n, m[1].str());
  }
  return std::nullopt;
}

std::string content_hash(const std::string& md) {
  std::istringstream in(md);
  std::string rest;
  for (std::string l; std::getline(in, l);)
    if (!std::regex_match(l, id_line_re())) rest += l + "\n";
  return fnv64_hex(rest);
}

}  // namespace hm::review
