// tests of fuzz/coverage.h: llvm-cov report rows summed per box and for all of alloc/.
#include "coverage.h"

#include <gtest/gtest.h>

namespace hm_fuzz {
namespace {

// The shape of clang 14's `llvm-cov report` (regions, functions, lines, branches).
constexpr const char* kReport =
    "Filename                      Regions    Missed Regions     Cover   Functions  Missed Functions  Executed"
    "       Lines      Missed Lines     Cover    Branches   Missed Branches     Cover\n"
    "-----------------------------------------------------------------------------------------\n"
    "alloc/page/page.cc                 80                 8    90.00%          10                 0   100.00%"
    "         200                10    95.00%          40                 4    90.00%\n"
    "alloc/page/page.h                  20                 0   100.00%           5                 0   100.00%"
    "          50                 0   100.00%          10                 0   100.00%\n"
    "alloc/tcache/tcache.cc            100                50    50.00%          10                 5    50.00%"
    "         100                50    50.00%          20                10    50.00%\n"
    "fuzz/page_fuzz.cc                  10                 0   100.00%           1                 0   100.00%"
    "          70                 0   100.00%           8                 0   100.00%\n"
    "-----------------------------------------------------------------------------------------\n"
    "TOTAL                             210                58    72.38%          26                 5    80.77%"
    "         420                60    85.71%          78                14    82.05%\n";

TEST(FuzzCoverage, RowsSumPerBoxAndForAlloc) {
  auto boxes = coverage_by_box(kReport);
  ASSERT_EQ(boxes.size(), 3u);  // page, tcache, alloc: the harness file and TOTAL are left out
  EXPECT_EQ(boxes["page"].lines, 250);
  EXPECT_EQ(boxes["page"].lines_missed, 10);
  EXPECT_EQ(boxes["page"].branches, 50);
  EXPECT_EQ(boxes["page"].branches_missed, 4);
  EXPECT_DOUBLE_EQ(boxes["page"].line_pct(), 96.0);
  EXPECT_DOUBLE_EQ(boxes["tcache"].branch_pct(), 50.0);
  EXPECT_EQ(boxes["alloc"].lines, 350);
  EXPECT_EQ(boxes["alloc"].lines_missed, 60);
}

TEST(FuzzCoverage, NoRowsNoBoxes) {
  EXPECT_TRUE(coverage_by_box("").empty());
  EXPECT_TRUE(coverage_by_box("alloc/page/page.cc 1 2\n").empty());  // a short row is not a row
}

}  // namespace
}  // namespace hm_fuzz
