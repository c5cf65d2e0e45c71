// Registry box boundary: constexpr tables built from boxes.def, gates.def,
// invariants.def and errors.def. Everything that lists boxes, gates, invariants
// or misuse kinds reads these tables; nothing re-declares them.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace hm::registry {

struct Box {
  std::string_view name;
  int layer;
  std::string_view job;
  std::string_view boundary;  // space separated
  std::string_view deps;      // space separated box names
};

enum class GateType { Int, Str };
struct Gate {
  std::string_view env;
  std::string_view box;
  GateType type;
  long def, min, max;
  std::string_view description;
};

enum class Cost { O1, ON };
struct Invariant {
  std::string_view id;
  std::string_view box;
  Cost cost;
  std::string_view text;
};

struct ErrorKind {
  std::string_view text;
  std::string_view box;        // the owning box's name
  std::string_view invariant;  // its invariant's ID
};

struct Counter {
  std::string_view line;   // the box whose stats line prints it
  std::string_view name;   // StatsSnapshot's field
  std::string_view label;  // printed as label=value
  bool per_heap;           // kept by every thread heap and summed
  std::string_view text;
};

// A box's inspection header: what its checkers and tests may see beyond the boundary header.
struct Inspect {
  std::string_view box;
  std::string_view header;  // repo-relative
  std::string_view text;
};

struct EventKind {
  std::string_view name;  // HM_CHECK_HOOK's event
  std::string_view box;
  std::string_view text;
};

enum class BoxId : int {
#define HM_BOX(id, ...) id,
#include "registry/boxes.def"
#undef HM_BOX
  count_
};

enum class InvId : int {
#define HM_INV(tok, ...) tok,
#include "registry/invariants.def"
#undef HM_INV
  count_
};

enum class ErrorId : int {
#define HM_ERROR(tok, ...) tok,
#include "registry/errors.def"
#undef HM_ERROR
  count_
};

inline constexpr Box kBoxes[] = {
#define HM_BOX(id, name, layer, job, boundary, deps) {name, layer, job, boundary, deps},
#include "registry/boxes.def"
#undef HM_BOX
};

inline constexpr Gate kGates[] = {
#define HM_GATE(field, env, box, def, mn, mx, desc) {env, box, GateType::Int, def, mn, mx, desc},
#define HM_GATE_STR(field, env, box, desc) {env, box, GateType::Str, 0, 0, 0, desc},
#include "registry/gates.def"
#undef HM_GATE
#undef HM_GATE_STR
};

inline constexpr Invariant kInvariants[] = {
#define O1 Cost::O1
#define ON Cost::ON
#define HM_INV(tok, id, box, cost, text) {id, kBoxes[static_cast<int>(BoxId::box)].name, cost, text},
#include "registry/invariants.def"
#undef HM_INV
#undef O1
#undef ON
};

inline constexpr ErrorKind kErrors[] = {
#define HM_ERROR(tok, text, box, inv) \
  {text, kBoxes[static_cast<int>(BoxId::box)].name, kInvariants[static_cast<int>(InvId::inv)].id},
#include "registry/errors.def"
#undef HM_ERROR
};

inline constexpr Counter kCounters[] = {
#define HM_HEAP_COUNTER(line, name, label, text) {#line, #name, #label, true, text},
#define HM_COUNTER(line, name, label, source, text) {#line, #name, #label, false, text},
#include "registry/counters.def"
#undef HM_HEAP_COUNTER
#undef HM_COUNTER
};

inline constexpr EventKind kEvents[] = {
#define HM_EVENT(ev, box, text) {#ev, kBoxes[static_cast<int>(BoxId::box)].name, text},
#include "registry/events.def"
#undef HM_EVENT
};

inline constexpr Inspect kInspect[] = {
#define HM_INSPECT(box, header, text) {kBoxes[static_cast<int>(BoxId::box)].name, header, text},
#include "registry/inspect.def"
#undef HM_INSPECT
};

constexpr const Box& box(BoxId b) { return kBoxes[static_cast<int>(b)]; }
constexpr const Invariant& invariant(InvId i) { return kInvariants[static_cast<int>(i)]; }
constexpr const ErrorKind& error(ErrorId e) { return kErrors[static_cast<int>(e)]; }

const Box* find_box(std::string_view name);
const Invariant* find_invariant(std::string_view id);
// The box's declared inspection header, or nullptr.
const Inspect* find_inspect(std::string_view box);

// JSON document of all six tables (static storage, built once).
const char* json();
// Markdown tables of boxes, gates, invariants, misuse kinds, counters and events (for docs/boxes.md).
const char* markdown();
// The layer table of alloc/README.md: boxes from the top layer down, with what each sits on.
const char* layers_markdown();

}  // namespace hm::registry
