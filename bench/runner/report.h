// Presentation: number formatting, generic text/markdown tables, the
// side-by-side comparison table with its ratios, and a small SVG bar chart.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runner/ledger.h"

namespace hmb {

std::string fmt_fixed(double v, int decimals);
std::string fmt_rate(double ops_per_s);  // 45123456 -> "45.12M"
std::string fmt_pct(double ratio);       // 1.0234 -> "+2.34%"

enum class TableStyle { Text, Markdown };
// Columns are left-aligned for the first `left_cols` columns, right-aligned after.
std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                         TableStyle style, size_t left_cols = 2);

// The hakmem row the others are compared with: the in-process one, else the
// preloaded one; nullopt when hakmem did not run.
std::optional<size_t> hakmem_reference(const std::vector<SbsRow>& rows);
// The fastest row whose allocator is not hakmem.
std::optional<size_t> best_peer(const std::vector<SbsRow>& rows);

// How a row's workload reaches its allocator: "malloc" (the process's malloc symbol: a preloaded
// library, or glibc itself) or "api" (an in-process prefixed API: hakmem's hm_*, mimalloc's mi_*).
// The two differ by a call path (PLT and interposition against a direct or pointer call), so a
// row is compared with peers of its own interface.
std::string interface_of(const SbsRow& row);
// The fastest non-hakmem row of the same interface as rows[i]; the fastest of all peers when
// that interface has none.
std::optional<size_t> best_peer_like(const std::vector<SbsRow>& rows, size_t i);

struct SbsRatios {
  std::optional<double> vs_hakmem;     // row ops/s / hakmem ops/s
  std::optional<double> vs_best_peer;  // row ops/s / ops/s of best_peer_like(row)
};
std::vector<SbsRatios> sbs_ratios(const std::vector<SbsRow>& rows);

// The comparison table (allocator, mode, median ops/s, ns/op, RSS, system seconds, minor
// faults, instr/op, ratios), rows in the given order, plus a closing line per hakmem row
// "hakmem (mode) / best peer (name)", the peer being the fastest of the row's interface.
std::string format_sbs_table(const std::vector<SbsRow>& rows, TableStyle style);

// A horizontal bar chart of median ops/s per row; hakmem rows highlighted.
std::string render_svg(const std::string& title, const std::vector<SbsRow>& rows);

}  // namespace hmb
