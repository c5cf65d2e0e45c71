// report box boundary: the one place that tells the user something went wrong.
// Nothing here allocates; a second report while one is being written aborts at once.
//
// A fail-fast report carries: box, invariant ID and text, the object (address, size
// class, page, segment), expected vs found, the last events of the box (debug build),
// the thread id and a symbolised backtrace; as human text on stderr plus one JSON line
// (stderr, or the file named by HAKMEM_REPORT).
//
// The check hooks of the debug build are declared here too (HM_CHECK_HOOK): every box
// already reports through this box, so a boundary crossing can call into the checkers
// (invariants/, linked into every package) without depending on them.
#pragma once

#include <cstdint>

#include "registry/registry.h"

namespace hm::report {

// What is known about the object a report is about; unknown fields stay at their defaults.
struct Site {
  const void* addr = nullptr;
  int size_class = -1;
  const void* page = nullptr;
  const void* segment = nullptr;
  const char* expected = nullptr;
  const char* found = nullptr;
};

// Heap misuse by the program (double/invalid/interior free ...): caught in every build.
// Prints "hakmem: <kind> of 0x<addr> (box <box>, <ID>)" and a JSON line, then aborts.
[[noreturn]] void report_misuse(registry::ErrorId kind, const Site& site);

// A broken invariant found by a checker. Prints
// "hakmem: invariant <ID> broken in box <box>: <text> at 0x<addr>" and a JSON line, then aborts.
[[noreturn]] void report_violation(registry::InvId inv, const Site& site);

// Bad start-up input (a malformed gate): one line, then abort.
[[noreturn]] void report_fatal(const char* what, const char* detail);

// Where the JSON line goes (a file path; empty: stderr). Set once by the config box.
void set_json_path(const char* path);

// One line on stderr, at most once per flag.
void log_once(bool* flag, const char* line);

// ---- boundary events and check hooks ----

// The boundary crossings that record an event and call the check hook (debug build), from the
// registry (registry/events.def).
enum class Event : uint8_t {
#define HM_EVENT(ev, box, text) ev,
#include "registry/events.def"
#undef HM_EVENT
  count_
};

// The rings of recent events (record_event, recent_events): report/inspect.h.

// True in the debug build (HAKMEM_DEBUG): the hooks are compiled in.
#if defined(HAKMEM_DEBUG) && HAKMEM_DEBUG
inline constexpr bool kCheckHooks = true;
#else
inline constexpr bool kCheckHooks = false;
#endif

// The check hook: records the event, then runs the checks of HAKMEM_CHECK (1: O(1) checks
// of the touched object, 2: walks of the touched box); on a violation, report_violation.
// Defined by invariants/hooks.cc.
void check_hook(Event ev, const void* obj, uintptr_t arg);

}  // namespace hm::report

// One line at a boundary crossing; compiles to nothing outside the debug build.
#define HM_CHECK_HOOK(ev, obj, arg)                                                                  \
  do {                                                                                                \
    if constexpr (::hm::report::kCheckHooks)                                                          \
      ::hm::report::check_hook(::hm::report::Event::ev, (obj), static_cast<uintptr_t>(arg));         \
  } while (0)
