// report box boundary: the one place that tells the user something went wrong.
// Nothing here allocates; a second report while one is being written aborts at once.
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

}  // namespace hm::report
