// The identity of a generated questionnaire: topic, source commit, registry hash, ledger length and a hash of
// its own text. The questionnaire and its answer template carry it on a `Questionnaire-ID:` line; the answer
// checker matches an answer to its questionnaire by it.
#pragma once

#include <optional>
#include <string>

#include "model.h"

namespace hm::review {

struct Identity {
  std::string topic, commit, registry, content;
  int ledger = 0;  // entries in the ledger it was generated from
  bool operator==(const Identity&) const = default;
};

std::string fnv64_hex(const std::string& text);
// Hash of what the questionnaire relies on: boxes (layer, deps), gates (default, range), invariants.
std::string registry_hash(const Registry& reg);
// "hakmem-review/1 topic=T commit=C registry=R ledger=N content=H"
std::string format_id(const Identity& id);
std::optional<Identity> parse_id(const std::string& text);
// The ID value on the document's `Questionnaire-ID:` line (with its 1-based line), if any.
std::optional<std::pair<int, std::string>> find_id_line(const std::string& md);
// Hash of a document's text without its `Questionnaire-ID:` line.
std::string content_hash(const std::string& md);

}  // namespace hm::review
