#include "runner/report.h"

#include <algorithm>
#include <cstdio>

namespace hmb {

std::string fmt_fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string fmt_rate(double v) {
  if (v >= 1e9) return fmt_fixed(v / 1e9, 2) + "G";
  if (v >= 1e6) return fmt_fixed(v / 1e6, 2) + "M";
  if (v >= 1e3) return fmt_fixed(v / 1e3, 2) + "k";
  return fmt_fixed(v, 0);
}

std::string fmt_pct(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.2f%%", (ratio - 1.0) * 100.0);
  return buf;
}

std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                         TableStyle style, size_t left_cols) {
  std::vector<size_t> w(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    w[c] = header[c].size();
    for (const auto& r : rows)
      if (c < r.size()) w[c] = std::max(w[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = style == TableStyle::Markdown ? "|" : "";
    for (size_t c = 0; c < header.size(); ++c) {
      std::string cell = c < cells.size() ? cells[c] : "";
      std::string pad(w[c] - cell.size(), ' ');
      std::string body = c < left_cols ? cell + pad : pad + cell;
      out += style == TableStyle::Markdown ? " " + body + " |" : (c ? "  " : "") + body;
    }
    return out + "\n";
  };
  std::string out = line(header);
  if (style == TableStyle::Markdown) {
    out += "|";
    for (size_t c = 0; c < header.size(); ++c) {
      if (c < left_cols) out += ':';
      out.append(w[c] + 1, '-');
      out += c < left_cols ? "|" : ":|";
    }
    out += "\n";
  } else {
    size_t total = 0;
    for (size_t c = 0; c < w.size(); ++c) total += w[c] + (c ? 2 : 0);
    out += std::string(total, '-') + "\n";
  }
  for (const auto& r : rows) out += line(r);
  return out;
}

std::optional<size_t> hakmem_reference(const std::vector<SbsRow>& rows) {
  std::optional<size_t> preload;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].allocator != "hakmem") continue;
    if (rows[i].mode == "inprocess") return i;
    if (!preload) preload = i;
  }
  return preload;
}

std::optional<size_t> best_peer(const std::vector<SbsRow>& rows) {
  std::optional<size_t> best;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].allocator != "hakmem" && (!best || rows[i].ops_per_s > rows[*best].ops_per_s)) best = i;
  return best;
}

std::string interface_of(const SbsRow& row) {
  return row.mode == "preload" || row.allocator == "glibc" ? "malloc" : "api";
}

namespace {
// The peer row of row i's interface with the highest figure by `figure` (rows without one skipped).
std::optional<size_t> best_like_by(const std::vector<SbsRow>& rows, size_t i,
                                   std::optional<double> (*figure)(const SbsRow&)) {
  std::optional<size_t> best;
  const std::string want = interface_of(rows[i]);
  for (size_t k = 0; k < rows.size(); ++k)
    if (rows[k].allocator != "hakmem" && interface_of(rows[k]) == want && figure(rows[k]) &&
        (!best || *figure(rows[k]) > *figure(rows[*best])))
      best = k;
  return best;
}
std::optional<double> all_runs(const SbsRow& r) { return r.ops_per_s; }
std::optional<double> steady_runs_of(const SbsRow& r) { return r.steady_ops_per_s; }
}  // namespace

std::optional<size_t> best_peer_like(const std::vector<SbsRow>& rows, size_t i) {
  auto best = best_like_by(rows, i, all_runs);
  return best ? best : best_peer(rows);
}

std::vector<SbsRatios> sbs_ratios(const std::vector<SbsRow>& rows) {
  auto ref = hakmem_reference(rows);
  std::vector<SbsRatios> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto best = best_peer_like(rows, i);
    if (ref && rows[*ref].ops_per_s > 0) out[i].vs_hakmem = rows[i].ops_per_s / rows[*ref].ops_per_s;
    if (best && rows[*best].ops_per_s > 0) out[i].vs_best_peer = rows[i].ops_per_s / rows[*best].ops_per_s;
  }
  return out;
}

std::string format_sbs_table(const std::vector<SbsRow>& rows, TableStyle style) {
  auto ratios = sbs_ratios(rows);
  std::vector<std::vector<std::string>> cells;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    cells.push_back({r.allocator, r.mode, fmt_rate(r.ops_per_s), fmt_fixed(r.ns_per_op, 2),
                     r.cpu_ns_per_op ? fmt_fixed(*r.cpu_ns_per_op, 2) : "-",
                     fmt_fixed(r.peak_rss_kb / 1024.0, 1), fmt_fixed(r.final_rss_kb / 1024.0, 1),
                     r.sys_s ? fmt_fixed(*r.sys_s, 3) : "-", r.minor_faults ? fmt_rate(*r.minor_faults) : "-",
                     r.instr_per_op ? fmt_fixed(*r.instr_per_op, 1) : "-",
                     ratios[i].vs_hakmem ? fmt_fixed(*ratios[i].vs_hakmem, 3) : "-",
                     ratios[i].vs_best_peer ? fmt_fixed(*ratios[i].vs_best_peer, 3) : "-"});
  }
  std::string out = render_table({"allocator", "mode", "ops/s", "ns/op", "CPU ns/op", "peak MiB", "final MiB",
                                  "sys s", "minflt", "instr/op", "x hakmem", "x best peer"},
                                 cells, style);
  bool first = true;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto best = best_peer_like(rows, i);
    if (rows[i].allocator != "hakmem" || !best || rows[*best].ops_per_s <= 0) continue;
    double q = rows[i].ops_per_s / rows[*best].ops_per_s;
    if (style == TableStyle::Markdown && first) out += "\n";
    out += "hakmem (" + rows[i].mode + ") / best peer (" + rows[*best].allocator + "): ";
    out += fmt_fixed(q, 3);
    out += " (";
    out += fmt_pct(q);
    out += style == TableStyle::Markdown ? ")  \n" : ")\n";
    first = false;
  }
  // The same over the runs made wholly in the sitting's closest machine state, where hakmem's row
  // and a like peer's have some.
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].allocator != "hakmem" || !rows[i].steady_ops_per_s) continue;
    auto best = best_like_by(rows, i, steady_runs_of);
    if (!best || *rows[*best].steady_ops_per_s <= 0) continue;
    double q = *rows[i].steady_ops_per_s / *rows[*best].steady_ops_per_s;
    out += "hakmem (" + rows[i].mode + ") / best peer (" + rows[*best].allocator + "), steady runs (" +
           std::to_string(rows[i].steady_runs) + " and " + std::to_string(rows[*best].steady_runs) + "): " +
           fmt_fixed(q, 3) + " (" + fmt_pct(q) + (style == TableStyle::Markdown ? ")  \n" : ")\n");
  }
  return out;
}

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string render_svg(const std::string& title, const std::vector<SbsRow>& rows) {
  const int label_w = 190, bar_w = 420, row_h = 26, top = 40, width = label_w + bar_w + 120;
  const int height = top + static_cast<int>(rows.size()) * row_h + 20;
  double max = 0;
  for (const auto& r : rows) max = std::max(max, r.ops_per_s);
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
                  std::to_string(height) + "\" font-family=\"sans-serif\" font-size=\"13\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text x=\"10\" y=\"24\" font-size=\"15\" font-weight=\"bold\">" + xml_escape(title) + "</text>\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    int y = top + static_cast<int>(i) * row_h;
    int w = max > 0 ? static_cast<int>(bar_w * r.ops_per_s / max) : 0;
    const char* color = r.allocator == "hakmem" ? "#d9480f" : "#4263eb";
    s += "<text x=\"" + std::to_string(label_w - 8) + "\" y=\"" + std::to_string(y + 17) +
         "\" text-anchor=\"end\">" + xml_escape(r.allocator + " (" + r.mode + ")") + "</text>\n";
    s += "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 4) + "\" width=\"" +
         std::to_string(w) + "\" height=\"" + std::to_string(row_h - 8) + "\" fill=\"" + color + "\"/>\n";
    s += "<text x=\"" + std::to_string(label_w + w + 6) + "\" y=\"" + std::to_string(y + 17) + "\">" +
         fmt_rate(r.ops_per_s) + " ops/s</text>\n";
  }
  s += "</svg>\n";
  return s;
}

}  // namespace hmb
