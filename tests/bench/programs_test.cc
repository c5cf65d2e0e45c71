#include "programs/programs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

namespace hmb {
namespace {

TEST(Programs, DefaultsAndSelection) {
  auto all = default_programs("/tmp");
  ASSERT_EQ(all.size(), 7u);
  EXPECT_EQ(all[0].name, "sqlite");
  EXPECT_EQ(all[2].env.at("PYTHONMALLOC"), "malloc");  // python-malloc: every object from malloc
  EXPECT_EQ(all[3].name, "python-threads");             // and from one thread to another
  EXPECT_EQ(all[3].env.at("PYTHONMALLOC"), "malloc");
  EXPECT_EQ(all[4].output_file, "/tmp/hmb-programs-stats.o");  // g++'s output is its object file
  EXPECT_EQ(all[5].name, "lua");
  EXPECT_EQ(all[6].name, "bc");
  EXPECT_TRUE(all[6].output_file.empty());  // bc's output is its stdout
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

// --cpus: every command runs under taskset with the list as given; anything but a CPU list is refused.
TEST(Programs, OnCpusPrefixesTaskset) {
  auto all = on_cpus(default_programs("/tmp"), "0");
  for (const auto& p : all) {
    ASSERT_GE(p.argv.size(), 4u);
    EXPECT_EQ(p.argv[0], "taskset");
    EXPECT_EQ(p.argv[1], "-c");
    EXPECT_EQ(p.argv[2], "0");
  }
  EXPECT_EQ(all[0].argv[3], "/usr/bin/sqlite3");
  EXPECT_EQ(on_cpus(default_programs("/tmp"), "0-1,3")[4].argv[2], "0-1,3");
  for (const char* bad : {"", "x", "0,", "-1", "0;rm", "0 1"})
    EXPECT_THROW(on_cpus(default_programs("/tmp"), bad), std::invalid_argument) << bad;
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
  EXPECT_DOUBLE_EQ(r.wall_min_s, 1.0);  // the fastest and the slowest run
  EXPECT_DOUBLE_EQ(r.wall_max_s, 3.0);
  EXPECT_NE(format_programs_table({r}).find("1.000-3.000"), std::string::npos);
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

// Runs probed before and after: those wholly in the sitting's closest state (every row's runs
// judged together) get their own medians, and the table compares them with the fastest peer's
// steady runs. Far runs and unprobed ones never count.
TEST(Programs, SteadyRunsOfTheSitting) {
  auto run = [](double wall, double before, double after) {
    ProgramRun r{wall, wall, 0.1, 1000, 50, "aa"};
    r.rtt_ns = {before, after};
    return r;
  };
  std::vector<std::vector<ProgramRun>> sitting = {
      {run(1.0, 100, 110), run(2.6, 500, 520), run(1.2, 90, 100)},   // hakmem: one far run
      {run(1.5, 100, 95), run(1.4, 120, 480), run(3.0, 510, 500)},   // tcmalloc: one straddling, one far
      {run(1.1, 0, 100), run(1.3, 105, 100), run(1.6, 100, 100)}};  // glibc: one unprobed
  auto flags = steady_flags(sitting);
  ASSERT_EQ(flags.size(), 3u);
  EXPECT_EQ(flags[0], (std::vector<bool>{true, false, true}));
  EXPECT_EQ(flags[1], (std::vector<bool>{true, false, false}));
  EXPECT_EQ(flags[2], (std::vector<bool>{false, true, true}));
  ProgramRow h = summarize("sqlite", "hakmem", sitting[0], std::string("aa"), flags[0]);
  ProgramRow t = summarize("sqlite", "tcmalloc", sitting[1], std::string("aa"), flags[1]);
  ProgramRow g = summarize("sqlite", "glibc", sitting[2], std::string("aa"), flags[2]);
  EXPECT_EQ(h.steady_runs, 2);
  EXPECT_DOUBLE_EQ(h.steady_wall_s, 1.1);
  EXPECT_DOUBLE_EQ(h.wall_s, 1.2);  // all runs: the far one too
  EXPECT_EQ(t.steady_runs, 1);
  EXPECT_DOUBLE_EQ(t.steady_wall_s, 1.5);
  EXPECT_DOUBLE_EQ(g.steady_wall_s, 1.45);
  EXPECT_THROW(summarize("sqlite", "glibc", sitting[2], std::string("aa"), {true}), std::invalid_argument);
  std::string table = format_programs_table({h, t, g});
  EXPECT_NE(table.find("steady wall x best peer"), std::string::npos);
  EXPECT_NE(table.find("0.759"), std::string::npos);  // hakmem's 1.1 over glibc's steady 1.45
  EXPECT_NE(table.find("0.923"), std::string::npos);  // over all runs: 1.2 over glibc's 1.3
  // Without probes no run is steady, and the table has no steady columns.
  for (auto& runs : sitting)
    for (auto& r : runs) r.rtt_ns = {0, 0};
  for (const auto& f : steady_flags(sitting)) EXPECT_EQ(std::count(f.begin(), f.end(), true), 0);
  h = summarize("sqlite", "hakmem", sitting[0], std::string("aa"), steady_flags(sitting)[0]);
  g = summarize("sqlite", "glibc", sitting[2], std::string("aa"), steady_flags(sitting)[2]);
  EXPECT_EQ(h.steady_runs, 0);
  EXPECT_EQ(format_programs_table({h, g}).find("steady"), std::string::npos);
}

// The glibc-classes probe is a row, not a peer: faster and leaner than every peer, it sets no
// "best peer" figure, while its own ratios to the peers are shown.
TEST(Programs, TheClassesProbeIsNoPeer) {
  EXPECT_FALSE(is_peer("hakmem"));
  EXPECT_FALSE(is_peer(kClassesRow));
  EXPECT_TRUE(is_peer("glibc"));
  std::vector<ProgramRow> rows = {{"sqlite", "hakmem", 1.2, 1.2, 0.1, 2048, 100, 5, true},
                                  {"sqlite", "glibc", 1.0, 1.0, 0.1, 1024, 90, 5, true},
                                  {"sqlite", kClassesRow, 0.5, 0.5, 0.1, 512, 90, 5, true}};
  std::string t = format_programs_table(rows);
  EXPECT_NE(t.find("1.200"), std::string::npos);  // hakmem over glibc, not over the probe (2.400)
  EXPECT_EQ(t.find("2.400"), std::string::npos);
  EXPECT_NE(t.find("0.500"), std::string::npos);  // the probe's own ratio to glibc
}

// --gates: hakmem's drop-in under other gates is a row of its own, named by the gates without
// their prefix, and no peer: the best-peer figures stay the peers'.
TEST(Programs, GatedRowsAreHakmemsNotPeers) {
  EXPECT_EQ(gated_row({{"HAKMEM_TRANSFER_DEMOTE", "1"}}), "hakmem[TRANSFER_DEMOTE=1]");
  EXPECT_EQ(gated_row({{"HAKMEM_TCACHE_MAX", "256"}, {"HAKMEM_HARDEN", "1"}}), "hakmem[HARDEN=1,TCACHE_MAX=256]");
  std::string gated = gated_row({{"HAKMEM_TRANSFER_DEMOTE", "1"}});
  EXPECT_FALSE(is_peer(gated));
  std::vector<ProgramRow> rows = {{"sqlite", "hakmem", 1.2, 1.2, 0.1, 1024, 100, 5, true},
                                  {"sqlite", gated, 0.6, 0.6, 0.1, 1024, 100, 5, true},
                                  {"sqlite", "glibc", 1.0, 1.0, 0.1, 1024, 90, 5, true}};
  std::string t = format_programs_table(rows);
  EXPECT_NE(t.find(gated), std::string::npos);
  EXPECT_NE(t.find("1.200"), std::string::npos);  // hakmem over glibc, not over its gated row (2.000)
  EXPECT_EQ(t.find("2.000"), std::string::npos);
  EXPECT_NE(t.find("0.600"), std::string::npos);  // the gated row's own ratio to glibc
}

// --callgrind: instructions and their ratio to the fewest of a peer join the table.
TEST(ProgramsTable, InstructionsColumnsWhenCounted) {
  std::vector<ProgramRow> rows = {{"gxx", "hakmem", 1.2, 1.1, 0.1, 2048, 100, 5, true, 3.3e9},
                                  {"gxx", "glibc", 1.5, 1.4, 0.1, 1024, 90, 5, true, 3.0e9},
                                  {"gxx", "mimalloc", 1.0, 1.0, 0.1, 4096, 80, 5, true, 3.1e9}};
  std::string t = format_programs_table(rows);
  EXPECT_NE(t.find("instr x best peer"), std::string::npos);
  EXPECT_NE(t.find("3.300"), std::string::npos);  // hakmem's billions of instructions
  EXPECT_NE(t.find("1.100"), std::string::npos);  // over glibc's, the fewest of a peer
  rows[0].instructions = rows[1].instructions = rows[2].instructions = 0;
  EXPECT_EQ(format_programs_table(rows).find("instr"), std::string::npos);  // not counted: no columns
}

// Callgrind follows the compiler driver into cc1plus and as, one output file per process.
TEST(ProgramsCallgrind, CountsEveryProcess) {
  Program p{"gxx", {"/usr/bin/g++", "-c", "x.cc"}, {}, "", ""};
  auto argv = callgrind_argv(p, "/tmp/cg");
  ASSERT_GE(argv.size(), 7u);
  EXPECT_EQ(argv[0], "valgrind");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--trace-children=yes"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--callgrind-out-file=/tmp/cg.%p"), argv.end());
  EXPECT_EQ(std::vector<std::string>(argv.end() - 3, argv.end()), p.argv);
}

// --syscalls: strace follows every process and writes its summary to the named file.
TEST(ProgramsStrace, CountsEveryProcessMemoryCalls) {
  Program p{"gxx", {"/usr/bin/g++", "-c", "x.cc"}, {}, "", ""};
  auto argv = strace_argv(p, "/tmp/st");
  ASSERT_GE(argv.size(), 7u);
  EXPECT_EQ(argv[0], "strace");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "-f"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "trace=%memory"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "/tmp/st"), argv.end());
  EXPECT_EQ(std::vector<std::string>(argv.end() - 3, argv.end()), p.argv);
}

// An strace -c summary: the calls column per name, an empty errors column or not; the total
// line is not a call; text without the table is an error.
TEST(ProgramsStrace, ParsesTheSummary) {
  const std::string text =
      "% time     seconds  usecs/call     calls    errors syscall\n"
      "------ ----------- ----------- --------- --------- ----------------\n"
      " 21.67    0.004387          58        75           munmap\n"
      " 16.16    0.003273          19       169           mremap\n"
      " 13.69    0.002772           9       299         2 mmap\n"
      "------ ----------- ----------- --------- --------- ----------------\n"
      "100.00    0.010432          19       543         2 total\n";
  auto calls = parse_strace_summary(text);
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls["munmap"], 75);
  EXPECT_EQ(calls["mremap"], 169);
  EXPECT_EQ(calls["mmap"], 299);
  EXPECT_THROW(parse_strace_summary("sqlite3: no such file\n"), std::invalid_argument);
  std::string garbled = text;
  garbled.replace(garbled.find("169"), 3, "1x9");
  EXPECT_THROW(parse_strace_summary(garbled), std::invalid_argument);
}

// Counted memory calls and their ratio to the fewest of a peer join the table.
TEST(ProgramsTable, MemoryCallColumnsWhenCounted) {
  std::vector<ProgramRow> rows = {{"python", "hakmem", 1.2, 1.1, 0.1, 2048, 100, 5, true},
                                  {"python", "glibc", 1.5, 1.4, 0.1, 1024, 90, 5, true},
                                  {"python", "mimalloc", 1.0, 1.0, 0.1, 4096, 80, 5, true}};
  EXPECT_EQ(format_programs_table(rows).find("mm calls"), std::string::npos);  // not counted: no columns
  rows[0].memory_calls = {{"mmap", 300}, {"mremap", 150}};
  rows[1].memory_calls = {{"mmap", 112}, {"brk", 38}};
  rows[2].memory_calls = {{"mmap", 250}};
  EXPECT_EQ(memory_call_total(rows[0]), 450);
  std::string t = format_programs_table(rows);
  EXPECT_NE(t.find("mm calls x fewest peer"), std::string::npos);
  EXPECT_NE(t.find("450"), std::string::npos);
  EXPECT_NE(t.find("3.000"), std::string::npos);  // 450 over glibc's 150, the fewest of a peer
}

// --check-levels: glibc for the reference, release, and the debug drop-in at each level.
TEST(ProgramsCheckLevels, Variants) {
  auto v = check_variants("build/release/lib/libhakmem.so", "build/debug/lib/libhakmem.so");
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0].name, "glibc");
  EXPECT_TRUE(v[0].preload.empty());
  EXPECT_EQ(v[1].name, "release");
  EXPECT_EQ(v[1].preload, "build/release/lib/libhakmem.so");
  EXPECT_TRUE(v[1].gates.empty());
  for (int level = 0; level <= 2; ++level) {
    const auto& d = v[2 + level];
    EXPECT_EQ(d.name, "check" + std::to_string(level));
    EXPECT_EQ(d.preload, "build/debug/lib/libhakmem.so");
    EXPECT_EQ(d.gates.at("HAKMEM_CHECK"), std::to_string(level));
  }
}

std::vector<ProgramRow> check_rows() {
  return {{"python", "glibc", 1.1, 1.0, 0.1, 1000, 10, 3, true},
          {"python", "release", 2.0, 1.6, 0.1, 2048, 10, 3, true},
          {"python", "check0", 2.2, 2.0, 0.1, 2048, 10, 3, true},
          {"python", "check1", 2.6, 2.4, 0.1, 2048, 10, 3, true},
          {"python", "check2", 6.0, 4.8, 0.1, 4096, 10, 3, false}};
}

TEST(ProgramsCheckLevels, RatiosToRelease) {
  auto rows = check_rows();
  auto x = ratios_vs_release(rows, rows[3]);
  ASSERT_TRUE(x);
  EXPECT_DOUBLE_EQ(x->wall, 1.3);
  EXPECT_DOUBLE_EQ(x->cpu, 1.5);
  EXPECT_DOUBLE_EQ(x->rss, 1.0);
  EXPECT_DOUBLE_EQ(ratios_vs_release(rows, rows[4])->rss, 2.0);
  rows.erase(rows.begin() + 1);  // no release row: nothing to compare with
  EXPECT_FALSE(ratios_vs_release(rows, rows[1]));
}

TEST(ProgramsCheckLevels, Table) {
  std::string t = format_check_table(check_rows());
  EXPECT_NE(t.find("cpu x release"), std::string::npos);
  EXPECT_NE(t.find("1.50x"), std::string::npos);  // check1's CPU time over release's
  EXPECT_NE(t.find("1.30x"), std::string::npos);  // its wall time
  EXPECT_NE(t.find("3.00x"), std::string::npos);  // check2's CPU time
  EXPECT_NE(t.find("0.62x"), std::string::npos);  // glibc's CPU time (1.0 / 1.6)
  EXPECT_NE(t.find("NO"), std::string::npos);     // check2's output differed
  std::vector<ProgramRow> no_release = {check_rows()[0]};
  EXPECT_NE(format_check_table(no_release).find(" - "), std::string::npos);
}

TEST(ProgramsCheckLevels, LedgerEntryShape) {
  auto variants = check_variants("r.so", "d.so");
  CheckCostProgram p = check_cost_program("python", check_rows(), variants);
  EXPECT_EQ(p.program, "python");
  ASSERT_EQ(p.rows.size(), 4u);  // glibc is the reference only
  EXPECT_EQ(p.rows[0].variant, "release");
  EXPECT_DOUBLE_EQ(p.rows[0].cpu_x_release, 1.0);
  EXPECT_EQ(p.rows[2].variant, "check1");
  EXPECT_EQ(p.rows[2].gates.at("HAKMEM_CHECK"), "1");
  EXPECT_DOUBLE_EQ(p.rows[2].cpu_x_release, 1.5);
  EXPECT_DOUBLE_EQ(p.rows[2].wall_x_release, 1.3);
  EXPECT_EQ(p.rows[2].runs, 3);
  EXPECT_FALSE(p.rows[3].output_matches);
  CheckCostEntry e;
  e.prov.date = "2026-11-30T05:00:00Z";
  e.prov.commit = std::string(40, '1');
  e.prov.preset = "debug";
  e.prov.binary_sha256 = std::string(64, 'b');
  e.prov.cpu = "AMD EPYC";
  e.prov.cores = 2;
  e.prov.command = "/abs/build/release/bin/hakmem-programs --check-levels";
  e.prov.profile = "python";
  e.prov.metric = "cpu";
  e.runs = 3;
  e.programs = {p};
  nlohmann::json j = to_json(e);
  EXPECT_EQ(j["kind"], "check-cost");
  EXPECT_TRUE(validate_entry(j).empty()) << validate_entry(j).front();
  EXPECT_DOUBLE_EQ(j["programs"][0]["rows"][2]["cpu_x_release"].get<double>(), 1.5);
  CheckCostEntry back = check_cost_from_json(j);
  ASSERT_EQ(back.programs.size(), 1u);
  EXPECT_EQ(back.programs[0].rows[3].variant, "check2");
  EXPECT_EQ(back.programs[0].rows[3].gates.at("HAKMEM_CHECK"), "2");
}

}  // namespace
}  // namespace hmb
