// Shared by the box tests: runs a test body once per value of a gate, each time in a
// re-executed child that reads the gate afresh (gates are read once at start-up).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <initializer_list>

// Runs child(value) once per value of `gate`; every child must exit 0 (a failure is reported
// as the child's other exit code).
template <class Child>
void each_gate_value(const char* gate, std::initializer_list<const char*> values, Child child) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  for (const char* v : values) {
    setenv(gate, v, 1);
    EXPECT_EXIT(child(v), testing::ExitedWithCode(0), "") << gate << "=" << v;
  }
  unsetenv(gate);
}
