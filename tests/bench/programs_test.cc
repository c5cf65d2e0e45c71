#include "programs/programs.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace hmb {
namespace {

TEST(Programs, DefaultsAndSelection) {
  auto all = default_programs("/tmp");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].name, "sqlite");
  EXPECT_EQ(all[2].output_file, "/tmp/hmb-programs-stats.o");  // g++'s output is its object file
  for (const auto& p : all) {
    EXPECT_FALSE(p.stands_for.empty()) << p.name;
    for (const auto& a : p.argv)  // inputs named relative to the source tree
      if (a.find("bench/") != std::string::npos) EXPECT_NE(a[0], '/') << a;
  }
  auto two = select_programs(all, {"gxx", "sqlite", "gxx"});
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].name, "gxx");
  EXPECT_THROW(select_programs(all, {"perl"}), std::invalid_argument);
}

TEST(Programs, MediansAndOutputCheck) {
  std::vector<ProgramRun> runs = {{1.0, 2.0, 0.1, 1000, 50, "aa"}, {3.0, 4.0, 0.3, 3000, 70, "aa"},
                                  {2.0, 3.0, 0.2, 2000, 60, "aa"}};
  ProgramRow r = summarize("sqlite", "glibc", runs, std::string("aa"));
  EXPECT_DOUBLE_EQ(r.wall_s, 2.0);
  EXPECT_DOUBLE_EQ(r.cpu_s, 3.0);
  EXPECT_DOUBLE_EQ(r.sys_s, 0.2);
  EXPECT_DOUBLE_EQ(r.peak_rss_kb, 2000);
  EXPECT_DOUBLE_EQ(r.minor_faults, 60);
  EXPECT_EQ(r.runs, 3);
  EXPECT_TRUE(r.output_matches);
  runs[1].output_sha256 = "bb";  // one run printed something else
  EXPECT_FALSE(summarize("sqlite", "hakmem", runs, std::string("aa")).output_matches);
}

TEST(Programs, TableRatiosAgainstPeers) {
  std::vector<ProgramRow> rows = {{"sqlite", "hakmem", 1.2, 1.1, 0.1, 2048, 100, 5, false},
                                  {"sqlite", "glibc", 1.5, 1.4, 0.1, 1024, 90, 5, true},
                                  {"sqlite", "tcmalloc", 1.0, 1.0, 0.1, 4096, 80, 5, true}};
  std::string t = format_programs_table(rows);
  EXPECT_NE(t.find("1.200"), std::string::npos);  // hakmem's wall over tcmalloc's
  EXPECT_NE(t.find("1.100"), std::string::npos);  // its CPU time over tcmalloc's
  EXPECT_NE(t.find("2.000"), std::string::npos);  // its peak RSS over glibc's, the leanest
  EXPECT_NE(t.find("NO"), std::string::npos);     // its output differed
}

}  // namespace
}  // namespace hmb
