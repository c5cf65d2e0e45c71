// Shared helpers of the review kit tests: fixture paths, running hakmem-review, golden comparison.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "model.h"

namespace review_test {

inline std::string src(const std::string& rel) { return std::string(REVIEW_SOURCE_DIR) + "/" + rel; }
inline std::string fixture(const std::string& rel) { return src("tests/review/fixtures/" + rel); }
inline std::string golden_path(const std::string& name) { return src("tests/review/golden/" + name); }

// The profile list the tests use everywhere, so they do not depend on bench/.
inline const char* kProfiles = "mixed,small,medium,mixed32k,app,realloc,aligned,ring:0,ring:50,ring:90,larson,churn,ring";

inline std::string temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("hakmem-review-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

struct CliRun {
  int rc;
  std::string out, err;
};

// Runs hakmem-review with `args` (already shell-safe: the tests use paths without spaces).
inline CliRun review(const std::string& args, const std::string& tmp) {
  std::string out = tmp + "/stdout.txt", err = tmp + "/stderr.txt";
  std::string cmd = "'" + std::string(REVIEW_BIN) + "' " + args + " >" + out + " 2>" + err;
  int st = std::system(cmd.c_str());
  CliRun r{WIFEXITED(st) ? WEXITSTATUS(st) : -1, "", ""};
  r.out = hm::review::read_file(out);
  r.err = hm::review::read_file(err);
  return r;
}

// Compares `actual` with the committed golden file, or rewrites the golden file when
// REVIEW_UPDATE_GOLDEN=1 is set.
inline void expect_golden(const std::string& name, const std::string& actual) {
  const char* up = std::getenv("REVIEW_UPDATE_GOLDEN");
  if (up && std::string(up) == "1") {
    hm::review::write_file(golden_path(name), actual);
    return;
  }
  std::string expected;
  ASSERT_NO_THROW(expected = hm::review::read_file(golden_path(name))) << "missing golden file " << name;
  EXPECT_EQ(expected, actual) << "output differs from tests/review/golden/" << name
                              << " (regenerate with REVIEW_UPDATE_GOLDEN=1 if the change is intended)";
}

}  // namespace review_test
