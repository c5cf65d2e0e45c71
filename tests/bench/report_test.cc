#include "runner/report.h"

#include <gtest/gtest.h>

#include "runner/sha256.h"

namespace hmb {
namespace {

std::vector<SbsRow> rows() {
  return {{"hakmem", "preload", 30e6, 33.3, 9000, 8000, std::nullopt},
          {"hakmem", "inprocess", 40e6, 25.0, 8000, 7000, 80.0},
          {"mimalloc", "inprocess", 50e6, 20.0, 9000, 8500, 61.5},
          {"glibc", "inprocess", 20e6, 50.0, 9500, 9400, std::nullopt}};
}

TEST(Format, Numbers) {
  EXPECT_EQ(fmt_rate(45123456), "45.12M");
  EXPECT_EQ(fmt_rate(1.5e9), "1.50G");
  EXPECT_EQ(fmt_rate(2500), "2.50k");
  EXPECT_EQ(fmt_rate(12), "12");
  EXPECT_EQ(fmt_pct(1.0234), "+2.34%");
  EXPECT_EQ(fmt_pct(0.95), "-5.00%");
  EXPECT_EQ(fmt_pct(1.0), "+0.00%");
}

TEST(SbsRatios, AgainstInProcessHakmemAndBestPeer) {
  auto r = rows();
  EXPECT_EQ(hakmem_reference(r), 1u);  // in-process preferred over preload
  EXPECT_EQ(best_peer(r), 2u);         // mimalloc; hakmem rows are not peers
  auto q = sbs_ratios(r);
  EXPECT_DOUBLE_EQ(*q[1].vs_hakmem, 1.0);
  EXPECT_DOUBLE_EQ(*q[2].vs_hakmem, 1.25);
  EXPECT_DOUBLE_EQ(*q[3].vs_hakmem, 0.5);
  EXPECT_DOUBLE_EQ(*q[1].vs_best_peer, 0.8);
  EXPECT_DOUBLE_EQ(*q[2].vs_best_peer, 1.0);
}

TEST(SbsRatios, LikeWithLike) {
  auto r = rows();
  r.push_back({"tcmalloc", "preload", 45e6, 22.2, 9000, 8000, std::nullopt});
  r.push_back({"mimalloc", "preload", 35e6, 28.5, 9000, 8000, std::nullopt});
  EXPECT_EQ(interface_of(r[0]), "malloc");  // preloaded hakmem
  EXPECT_EQ(interface_of(r[1]), "api");     // hm_* in process
  EXPECT_EQ(interface_of(r[3]), "malloc");  // glibc: the process's own malloc
  EXPECT_EQ(best_peer(r), 2u);              // mimalloc's API is the fastest of all
  EXPECT_EQ(best_peer_like(r, 0), 4u);      // preloaded hakmem against tcmalloc preloaded
  EXPECT_EQ(best_peer_like(r, 1), 2u);      // in-process hakmem against mimalloc's API
  auto q = sbs_ratios(r);
  EXPECT_DOUBLE_EQ(*q[0].vs_best_peer, 30.0 / 45.0);
  EXPECT_DOUBLE_EQ(*q[1].vs_best_peer, 0.8);
  EXPECT_DOUBLE_EQ(*q[3].vs_best_peer, 20.0 / 45.0);
  std::vector<SbsRow> no_api_peer = {r[1], r[3]};
  EXPECT_EQ(best_peer_like(no_api_peer, 0), 1u);  // no API peer: the best of all
}

TEST(SbsTable, SystemTimeAndFaults) {
  auto r = rows();
  r[1].sys_s = 1.25, r[1].minor_faults = 4.6e6;
  std::string t = format_sbs_table(r, TableStyle::Text);
  EXPECT_NE(t.find("sys s"), std::string::npos);
  EXPECT_NE(t.find("minflt"), std::string::npos);
  EXPECT_NE(t.find("1.250"), std::string::npos);
  EXPECT_NE(t.find("4.60M"), std::string::npos);
}

// A multi-threaded row whose CPU time per op is below its wall time per op sat idle (its threads
// waited for each other): the table shows both clocks, "-" where a row has no CPU figure.
TEST(SbsTable, CpuTimePerOpBesideWallTime) {
  auto r = rows();
  r[0].cpu_ns_per_op = 28.03;
  std::string t = format_sbs_table(r, TableStyle::Text);
  size_t head = t.find("CPU ns/op");
  ASSERT_NE(head, std::string::npos);
  EXPECT_LT(t.find("ns/op"), head);
  EXPECT_NE(t.find("28.03"), std::string::npos);
  // mimalloc's row: its ns/op, no CPU figure, its peak MiB (spaces collapsed).
  std::string row = t.substr(t.find("mimalloc"));
  row = row.substr(0, row.find('\n'));
  std::string flat;
  for (char c : row)
    if (c != ' ' || (!flat.empty() && flat.back() != ' ')) flat += c;
  EXPECT_NE(flat.find("20.00 - 8.8"), std::string::npos) << flat;
}

// Steady runs (wholly in the sitting's closest machine state): a line per hakmem row against the
// best like peer by its steady median, naming both counts; none when no peer row has steady runs.
TEST(SbsTable, SteadyRunsRatio) {
  auto r = rows();
  EXPECT_EQ(format_sbs_table(r, TableStyle::Text).find("steady runs"), std::string::npos);
  r[1].steady_ops_per_s = 45e6, r[1].steady_runs = 3;  // hakmem in process
  EXPECT_EQ(format_sbs_table(r, TableStyle::Text).find("steady runs"), std::string::npos);  // no peer has any
  r[2].steady_ops_per_s = 36e6, r[2].steady_runs = 2;  // mimalloc in process
  r[3].steady_ops_per_s = 40e6, r[3].steady_runs = 4;  // glibc: another interface, not compared
  std::string t = format_sbs_table(r, TableStyle::Text);
  EXPECT_NE(t.find("hakmem (inprocess) / best peer (mimalloc), steady runs (3 and 2): 1.250 (+25.00%)"), std::string::npos) << t;
  EXPECT_EQ(t.find("hakmem (preload) / best peer (glibc), steady"), std::string::npos) << t;  // no steady runs of its own
}

TEST(SbsRatios, FallbacksWithoutHakmemOrPeers) {
  auto r = rows();
  r.erase(r.begin() + 1);
  EXPECT_EQ(hakmem_reference(r), 0u);  // only the preloaded hakmem left
  std::vector<SbsRow> peers = {r[1], r[2]};
  EXPECT_FALSE(hakmem_reference(peers).has_value());
  EXPECT_FALSE(sbs_ratios(peers)[0].vs_hakmem.has_value());
  std::vector<SbsRow> only = {rows()[1]};
  EXPECT_FALSE(best_peer(only).has_value());
  EXPECT_FALSE(sbs_ratios(only)[0].vs_best_peer.has_value());
}

TEST(SbsTable, TextAndMarkdown) {
  std::string t = format_sbs_table(rows(), TableStyle::Text);
  EXPECT_NE(t.find("allocator"), std::string::npos);
  EXPECT_NE(t.find("x best peer"), std::string::npos);
  EXPECT_NE(t.find("50.00M"), std::string::npos);
  EXPECT_NE(t.find("61.5"), std::string::npos);
  EXPECT_NE(t.find("hakmem (inprocess) / best peer (mimalloc): 0.800 (-20.00%)"), std::string::npos);
  EXPECT_NE(t.find("hakmem (preload) / best peer (glibc): 1.500 (+50.00%)"), std::string::npos);
  std::string m = format_sbs_table(rows(), TableStyle::Markdown);
  EXPECT_EQ(m.rfind("| allocator", 0), 0u);
  EXPECT_NE(m.find("|:-"), std::string::npos);
  // Every table line has the same number of cells.
  size_t lines = 0;
  for (size_t pos = 0; (pos = m.find("\n|", pos)) != std::string::npos; ++pos) ++lines;
  EXPECT_EQ(lines, rows().size() + 1);
}

TEST(Table, AlignsColumns) {
  std::string t = render_table({"a", "num"}, {{"long-name", "1"}, {"x", "12345"}}, TableStyle::Text, 1);
  EXPECT_EQ(t, "a            num\n----------------\nlong-name      1\nx          12345\n");
}

TEST(Svg, OneBarPerRowAndEscaped) {
  std::string s = render_svg("a <b> & c", rows());
  EXPECT_EQ(s.rfind("<svg ", 0), 0u);
  EXPECT_NE(s.find("a &lt;b&gt; &amp; c"), std::string::npos);
  size_t bars = 0;
  for (size_t pos = 0; (pos = s.find("<rect x=", pos)) != std::string::npos; ++pos) ++bars;
  EXPECT_EQ(bars, rows().size());
  EXPECT_NE(s.find("width=\"420\""), std::string::npos);  // the fastest row gets the full bar
  EXPECT_NE(s.find("</svg>"), std::string::npos);
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace
}  // namespace hmb
