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

struct SbsRatios {
  std::optional<double> vs_hakmem;     // row ops/s / hakmem ops/s
  std::optional<double> vs_best_peer;  // row ops/s / best peer ops/s
};
std::vector<SbsRatios> sbs_ratios(const std::vector<SbsRow>& rows);

// The comparison table (allocator, mode, median ops/s, ns/op, RSS, instr/op,
// ratios), rows in the given order, plus a closing line "hakmem / best peer".
std::string format_sbs_table(const std::vector<SbsRow>& rows, TableStyle style);

// A horizontal bar chart of median ops/s per row; hakmem rows highlighted.
std::string render_svg(const std::string& title, const std::vector<SbsRow>& rows);

}  // namespace hmb
