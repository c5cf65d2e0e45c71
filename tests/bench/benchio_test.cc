#include "runner/benchio.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace hmb {
namespace {

TEST(Profiles, ExpandListsAllAndRing) {
  EXPECT_EQ(expand_profiles({"mixed"}), (std::vector<std::string>{"mixed"}));
  EXPECT_EQ(expand_profiles({"mixed,small", "mixed", "ring"}),
            (std::vector<std::string>{"mixed", "small", "ring:50"}));
  EXPECT_EQ(expand_profiles({"all"}), all_profiles());
  EXPECT_EQ(all_profiles().size(), 34u);
  EXPECT_EQ(expand_profiles({"xfer,xfer2,large,grow,objects,buffers"}),
            (std::vector<std::string>{"xfer:64", "xfer2:64", "large", "grow", "objects", "buffers"}));
  EXPECT_EQ(expand_profiles({"xfer:256"}), (std::vector<std::string>{"xfer:256"}));
  EXPECT_EQ(expand_profiles({"pipe,pipe2:16"}), (std::vector<std::string>{"pipe:64", "pipe2:16"}));
  EXPECT_EQ(expand_profiles({"mailbox,mailbox:256"}), (std::vector<std::string>{"mailbox:64", "mailbox:256"}));
  EXPECT_EQ(expand_profiles({"burst,burst:4096"}), (std::vector<std::string>{"burst:1024", "burst:4096"}));
  EXPECT_THROW(expand_profiles({"xfer:32"}), std::invalid_argument);
  EXPECT_THROW(expand_profiles({"burst:64"}), std::invalid_argument);
  EXPECT_THROW(expand_profiles({"mixd"}), std::invalid_argument);
  EXPECT_THROW(expand_profiles({"ring:33"}), std::invalid_argument);
  EXPECT_THROW(expand_profiles({}), std::invalid_argument);
}

TEST(Cases, NamesAndFilters) {
  EXPECT_EQ(bench_case("mixed", "hakmem"), "mixed/hakmem");
  EXPECT_EQ(bench_case("ring:90", "system"), "ring/system/remote:90");
  EXPECT_EQ(bench_case("xfer:16", "hakmem"), "xfer/hakmem/size:16");
  EXPECT_EQ(bench_case("burst:4096", "system"), "burst/system/size:4096");
  EXPECT_EQ(bench_case("xfer2:256", "system"), "xfer2/system/size:256");
  EXPECT_EQ(bench_case("pipe2:16", "hakmem"), "pipe2/hakmem/size:16");
  EXPECT_EQ(bench_case("mailbox:64", "system"), "mailbox/system/size:64");
  EXPECT_EQ(bench_filter("xfer:64", "mimalloc"), "^xfer/mimalloc/size:64(/|$)");
  EXPECT_EQ(bench_filter("mixed", "mimalloc"), "^mixed/mimalloc(/|$)");
  EXPECT_EQ(case_of_run_name("mixed/hakmem/iterations:1/manual_time"), "mixed/hakmem");
  EXPECT_EQ(case_of_run_name("ring/system/remote:50/iterations:1/manual_time"), "ring/system/remote:50");
  EXPECT_EQ(case_of_run_name("app/system"), "app/system");
  EXPECT_EQ(parse_case_list("mixed/hakmem/iterations:1/manual_time\nsmall/system/iterations:1/manual_time\n"),
            (std::vector<std::string>{"mixed/hakmem", "small/system"}));
}

const char* kJson = R"({
  "context": {"date": "x"},
  "benchmarks": [
    {"name": "mixed/hakmem/iterations:1/manual_time", "run_name": "mixed/hakmem/iterations:1/manual_time",
     "iterations": 1, "real_time": 100.0, "ops": 2000000, "ops_per_s": 20000000.0, "ns_per_op": 50.0,
     "cpu_ops_per_s": 25000000.0, "cpu_ns_per_op": 40.0, "peak_rss_kb": 8000, "final_rss_kb": 7000},
    {"name": "large/hakmem/iterations:1/manual_time", "ops": 3000, "ops_per_s": 3000.0, "ns_per_op": 1e6,
     "cpu_ops_per_s": 3000.0, "cpu_ns_per_op": 1e6, "peak_rss_kb": 300000, "final_rss_kb": 2000,
     "sys_s": 1.5, "minor_faults": 460000},
    {"name": "small/hakmem/iterations:1/manual_time", "error_occurred": true, "error_message": "malloc returned null"},
    {"name": "app/hakmem/iterations:1/manual_time", "ops": 1, "ops_per_s": 1.0}
  ]})";

TEST(BenchJson, ReadsCounters) {
  BenchSample s = parse_bench_json(kJson, "mixed/hakmem");
  EXPECT_DOUBLE_EQ(s.ops, 2e6);
  EXPECT_DOUBLE_EQ(s.ops_per_s, 2e7);
  EXPECT_DOUBLE_EQ(s.ns_per_op, 50.0);
  EXPECT_DOUBLE_EQ(s.peak_rss_kb, 8000);
  EXPECT_DOUBLE_EQ(s.final_rss_kb, 7000);
  EXPECT_DOUBLE_EQ(ops_per_s(s, Metric::Wall), 2e7);
  EXPECT_DOUBLE_EQ(ops_per_s(s, Metric::Cpu), 2.5e7);
  EXPECT_DOUBLE_EQ(ns_per_op(s, Metric::Cpu), 40.0);
  EXPECT_FALSE(s.sys_s.has_value());  // output of a binary from before the counters
  EXPECT_FALSE(s.minor_faults.has_value());
  BenchSample l = parse_bench_json(kJson, "large/hakmem");
  EXPECT_DOUBLE_EQ(*l.sys_s, 1.5);
  EXPECT_DOUBLE_EQ(*l.minor_faults, 460000);
}

TEST(BenchJson, Failures) {
  try {
    parse_bench_json(kJson, "small/hakmem");
    ADD_FAILURE();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("malloc returned null"), std::string::npos);
  }
  EXPECT_THROW(parse_bench_json(kJson, "app/hakmem"), std::runtime_error);    // counters missing
  EXPECT_THROW(parse_bench_json(kJson, "medium/hakmem"), std::runtime_error); // case absent
  EXPECT_THROW(parse_bench_json("garbage", "mixed/hakmem"), std::runtime_error);
}

TEST(Metric, Names) {
  EXPECT_EQ(metric_from_string("cpu"), Metric::Cpu);
  EXPECT_STREQ(to_string(metric_from_string("wall")), "wall");
  EXPECT_EQ(metric_from_string("instr"), Metric::Instr);
  EXPECT_STREQ(to_string(Metric::Instr), "instr");
  EXPECT_EQ(metric_from_string("rss"), Metric::Rss);
  EXPECT_STREQ(to_string(Metric::Rss), "rss");
  EXPECT_THROW(metric_from_string("both"), std::invalid_argument);
}

TEST(Callgrind, TotalsThenSummary) {
  // With --instr-atstart=no callgrind writes "summary: 0" and the real count in "totals:".
  EXPECT_DOUBLE_EQ(parse_callgrind_ir("version: 1\nevents: Ir\nsummary: 0\nfn=main\n1 5\ntotals: 10127770\n"),
                   10127770);
  EXPECT_DOUBLE_EQ(parse_callgrind_ir("events: Ir\nsummary: 777\n"), 777);
  EXPECT_THROW(parse_callgrind_ir("events: Ir\n"), std::runtime_error);
}

TEST(ShellJoin, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(shell_join({"hakmem-ab", "--a", "HAKMEM_TCACHE=0", "--runs", "10"}),
            "hakmem-ab --a HAKMEM_TCACHE=0 --runs 10");
  EXPECT_EQ(shell_join({"x", "a b", "it's", ""}), "x 'a b' 'it'\\''s' ''");
}

}  // namespace
}  // namespace hmb
