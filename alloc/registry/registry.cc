// Registry dumps: JSON for the review kit and tools, Markdown for docs/boxes.md.
// Runs on demand (tools, tests), never on the allocation path; uses std::string.
#include "registry/registry.h"

#include <pthread.h>

#include <string>
#include <vector>

namespace hm::registry {

const Box* find_box(std::string_view name) {
  for (const auto& b : kBoxes)
    if (b.name == name) return &b;
  return nullptr;
}

const Invariant* find_invariant(std::string_view id) {
  for (const auto& i : kInvariants)
    if (i.id == id) return &i;
  return nullptr;
}

const Inspect* find_inspect(std::string_view box) {
  for (const auto& i : kInspect)
    if (i.box == box) return &i;
  return nullptr;
}

namespace {

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

void quote(std::string& o, std::string_view s) {
  o += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (c == '\n') {
      o += "\\n";
    } else {
      o += c;
    }
  }
  o += '"';
}

void list(std::string& o, const std::vector<std::string_view>& v) {
  o += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) o += ',';
    quote(o, v[i]);
  }
  o += ']';
}

const char* cost_name(Cost c) { return c == Cost::O1 ? "O(1)" : "O(n)"; }

// ,"key":"v" -- or "key":"v" for an object's first field.
void str(std::string& o, const char* key, std::string_view v, bool first_field = false) {
  if (!first_field) o += ',';
  o += '"';
  o += key;
  o += "\":";
  quote(o, v);
}

// "name":[{...},{...}]: one object per row of a registry table, its fields written by fields(row).
template <class Table, class Fields>
void array(std::string& o, const char* name, const Table& rows, Fields fields) {
  o += '"';
  o += name;
  o += "\":[";
  bool first = true;
  for (const auto& row : rows) {
    if (!first) o += ',';
    first = false;
    o += '{';
    fields(row);
    o += '}';
  }
  o += ']';
}

std::string build_json() {
  std::string o = "{\"schema\":1,";
  array(o, "boxes", kBoxes, [&](const Box& b) {
    str(o, "name", b.name, true);
    o += ",\"layer\":" + std::to_string(b.layer);
    str(o, "job", b.job);
    o += ",\"boundary\":";
    list(o, words(b.boundary));
    o += ",\"deps\":";
    list(o, words(b.deps));
    std::vector<std::string_view> gates, invs;
    for (const auto& g : kGates)
      if (g.box == b.name) gates.push_back(g.env);
    for (const auto& i : kInvariants)
      if (i.box == b.name) invs.push_back(i.id);
    o += ",\"gates\":";
    list(o, gates);
    o += ",\"invariants\":";
    list(o, invs);
  });
  o += ',';
  array(o, "gates", kGates, [&](const Gate& g) {
    str(o, "name", g.env, true);
    str(o, "box", g.box);
    if (g.type == GateType::Int) {
      o += ",\"type\":\"int\",\"default\":\"" + std::to_string(g.def) + "\",\"min\":" + std::to_string(g.min) +
           ",\"max\":" + std::to_string(g.max);
    } else {
      o += ",\"type\":\"string\",\"default\":\"\"";
    }
    str(o, "description", g.description);
  });
  o += ',';
  array(o, "invariants", kInvariants, [&](const Invariant& i) {
    str(o, "id", i.id, true);
    str(o, "box", i.box);
    str(o, "cost", cost_name(i.cost));
    str(o, "text", i.text);
  });
  o += ',';
  array(o, "errors", kErrors, [&](const ErrorKind& e) {
    str(o, "kind", e.text, true);
    str(o, "box", e.box);
    str(o, "invariant", e.invariant);
  });
  o += ',';
  array(o, "counters", kCounters, [&](const Counter& c) {
    str(o, "name", c.name, true);
    str(o, "line", c.line);
    str(o, "label", c.label);
    o += c.per_heap ? ",\"per_heap\":true" : ",\"per_heap\":false";
    str(o, "text", c.text);
  });
  o += ',';
  array(o, "events", kEvents, [&](const EventKind& e) {
    str(o, "name", e.name, true);
    str(o, "box", e.box);
    str(o, "text", e.text);
  });
  o += "}\n";
  return o;
}

std::string build_markdown() {
  std::string o = "## Boxes\n\n| box | layer | job | boundary | depends on |\n|---|---|---|---|---|\n";
  for (const auto& b : kBoxes) {
    o += "| `" + std::string(b.name) + "` | " + std::to_string(b.layer) + " | " + std::string(b.job) + " | `" +
         std::string(b.boundary) + "` | " + std::string(b.deps) + " |\n";
  }
  o += "\n## Inspection headers\n\nWhat checkers, tests and harnesses outside alloc/ may see of a box beyond its boundary header "
       "(held by tests/tools/boundary_test.cc).\n\n| box | inspection header | exposes |\n|---|---|---|\n";
  for (const auto& i : kInspect)
    o += "| `" + std::string(i.box) + "` | `" + std::string(i.header) + "` | " + std::string(i.text) + " |\n";
  o += "\n## Gates\n\n| gate | box | default | range | meaning |\n|---|---|---|---|---|\n";
  for (const auto& g : kGates) {
    std::string range = g.type == GateType::Int ? std::to_string(g.min) + "–" + std::to_string(g.max) : "path";
    std::string def = g.type == GateType::Int ? std::to_string(g.def) : "(unset)";
    o += "| `" + std::string(g.env) + "` | " + std::string(g.box) + " | " + def + " | " + range + " | " +
         std::string(g.description) + " |\n";
  }
  o += "\n## Invariants\n\n| ID | box | cost | invariant |\n|---|---|---|---|\n";
  for (const auto& i : kInvariants) {
    o += "| `" + std::string(i.id) + "` | " + std::string(i.box) + " | " + cost_name(i.cost) + " | " +
         std::string(i.text) + " |\n";
  }
  o += "\n## Misuse reports\n\n| kind | box | invariant |\n|---|---|---|\n";
  for (const auto& e : kErrors) {
    o += "| " + std::string(e.text) + " | " + std::string(e.box) + " | `" + std::string(e.invariant) + "` |\n";
  }
  o += "\n## Counters (HAKMEM_STATS=1)\n\n| stats line | label | field | kept | meaning |\n|---|---|---|---|---|\n";
  for (const auto& c : kCounters) {
    o += "| " + std::string(c.line) + " | `" + std::string(c.label) + "` | `" + std::string(c.name) + "` | " +
         (c.per_heap ? "per heap" : "by the box") + " | " + std::string(c.text) + " |\n";
  }
  o += "\n## Events (debug build: recorded and checked at each crossing)\n\n| event | box | what |\n|---|---|---|\n";
  for (const auto& e : kEvents)
    o += "| `" + std::string(e.name) + "` | " + std::string(e.box) + " | " + std::string(e.text) + " |\n";
  return o;
}

// alloc/README.md's table: the layers from the top down, each box with its job and the boxes
// it sits on (its deps, all of lower layers).
std::string build_layers() {
  int top = 0;
  for (const auto& b : kBoxes) top = b.layer > top ? b.layer : top;
  std::string o = "| layer | box | job | sits on |\n|---|---|---|---|\n";
  for (int l = top; l >= 0; --l) {
    for (const auto& b : kBoxes) {
      if (b.layer != l) continue;
      std::string deps = b.deps.empty() ? "(nothing)" : std::string(b.deps);
      o += "| " + std::to_string(l) + " | [`" + std::string(b.name) + "`](" + std::string(b.name) + "/) | " +
           std::string(b.job) + " | " + deps + " |\n";
    }
  }
  return o;
}

}  // namespace

// Each document is built once, on first use, and kept for the process (pthread_once rather
// than a guarded static: libhakmem.so links no C++ runtime, see alloc/front/override.cc).
#define HM_REGISTRY_DOC(fn, build)                                   \
  const char* fn() {                                                 \
    static pthread_once_t once = PTHREAD_ONCE_INIT;                  \
    static const std::string* doc;                                   \
    pthread_once(&once, [] { doc = new std::string(build()); });     \
    return doc->c_str();                                             \
  }
HM_REGISTRY_DOC(json, build_json)
HM_REGISTRY_DOC(markdown, build_markdown)
HM_REGISTRY_DOC(layers_markdown, build_layers)
#undef HM_REGISTRY_DOC

}  // namespace hm::registry
