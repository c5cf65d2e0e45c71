// tests of fuzz/changed.h: files -> boxes -> dependents -> harnesses, and git's changed files.
#include "changed.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "registry/registry.h"

namespace hm_fuzz {
namespace {

using Set = std::set<std::string>;
namespace fs = std::filesystem;

Set every_box() {
  Set s;
  for (const auto& b : hm::registry::kBoxes) s.emplace(b.name);
  return s;
}

TEST(FuzzChanged, FilesMapToTheirBox) {
  EXPECT_EQ(boxes_of_file("alloc/tcache/tcache.cc"), Set{"tcache"});
  EXPECT_EQ(boxes_of_file("alloc/page/page.h"), Set{"page"});
  EXPECT_EQ(boxes_of_file("invariants/remote_check.cc"), Set{"remote"});
  EXPECT_EQ(boxes_of_file("fuzz/transfer_fuzz.cc"), Set{"transfer"});
  EXPECT_EQ(boxes_of_file("fuzz/config_fuzz.dict"), Set{"config"});
  EXPECT_EQ(boxes_of_file("fuzz/corpus/large_fuzz/seed-0"), Set{"large"});
  EXPECT_EQ(boxes_of_file("fuzz/crashes/report_fuzz/crash-1"), Set{"report"});
}

TEST(FuzzChanged, SharedFilesMapToEveryBoxAndOthersToNone) {
  for (const char* f : {"alloc/registry/boxes.def", "alloc/base.h", "alloc/CMakeLists.txt", "include/hakmem/hakmem.h",
                        "invariants/api.cc", "fuzz/fuzz_common.h", "fuzz/fuzz_crew.h", "fuzz/segment_anchor.h",
                        "fuzz/CMakeLists.txt"})
    EXPECT_EQ(boxes_of_file(f), every_box()) << f;
  for (const char* f : {"docs/fuzzing.md", "bench/ledger/x.md", "README.md", "tests/alloc/page_test.cc",
                        "fuzz/fuzz_driver.cc", "fuzz/nosuchbox_fuzz.cc", "fuzz/corpus/nosuchbox_fuzz/a"})
    EXPECT_TRUE(boxes_of_file(f).empty()) << f;
}

TEST(FuzzChanged, DependentsAreTheClosureOverRegistryDeps) {
  for (const auto& start : every_box()) {
    Set all = with_dependents({start});
    EXPECT_TRUE(all.count(start));
    for (const auto& b : hm::registry::kBoxes) {
      std::istringstream deps{std::string(b.deps)};
      bool depends = false;
      for (std::string d; deps >> d;) depends |= all.count(d) > 0;
      // a box depending on one in the set is in it; every other member is a dependent of one
      if (depends) EXPECT_TRUE(all.count(std::string(b.name))) << start << " -> " << b.name;
      else if (std::string(b.name) != start) EXPECT_FALSE(all.count(std::string(b.name))) << start << " -> " << b.name;
    }
  }
  Set t = with_dependents({"transfer"});
  EXPECT_TRUE(t.count("tcache") && t.count("front"));
  EXPECT_FALSE(t.count("page") || t.count("os") || t.count("report"));
  EXPECT_TRUE(with_dependents({"os"}).count("segment"));
}

TEST(FuzzChanged, HarnessesInRegistryOrderAmongThoseAvailable) {
  std::vector<std::string> avail = {"front_fuzz", "page_fuzz", "tcache_fuzz", "os_fuzz"};
  EXPECT_EQ(harnesses_of({"tcache", "page", "front", "segment"}, avail),
            (std::vector<std::string>{"page_fuzz", "tcache_fuzz", "front_fuzz"}));
  EXPECT_TRUE(harnesses_of({}, avail).empty());
}

TEST(FuzzChanged, ChangedFilesSinceARevision) {
  fs::path dir = fs::temp_directory_path() / ("hakmem-changed-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "alloc/page");
  std::ofstream(dir / "alloc/page/page.cc") << "a\n";
  std::ofstream(dir / "README.md") << "r\n";
  std::string git = "git -C '" + dir.string() + "' -c user.email=t@t -c user.name=t ";
  ASSERT_EQ(std::system((git + "init -q && " + git + "add -A && " + git + "commit -qm base").c_str()), 0);
  std::vector<std::string> files;
  std::string err;
  ASSERT_TRUE(changed_files(dir.string(), "HEAD", &files, &err)) << err;
  EXPECT_TRUE(files.empty());
  std::ofstream(dir / "alloc/page/page.cc") << "b\n";  // modified
  fs::create_directories(dir / "alloc/remote");
  std::ofstream(dir / "alloc/remote/new.cc") << "n\n";  // untracked
  ASSERT_TRUE(changed_files(dir.string(), "HEAD", &files, &err)) << err;
  EXPECT_EQ(files, (std::vector<std::string>{"alloc/page/page.cc", "alloc/remote/new.cc"}));
  EXPECT_FALSE(changed_files(dir.string(), "no-such-revision", &files, &err));
  EXPECT_FALSE(changed_files(dir.string(), "HEAD; rm -rf x", &files, &err));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hm_fuzz
