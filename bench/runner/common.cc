#include "runner/common.h"

#include <cstdio>
#include <filesystem>

#include "runner/benchio.h"
#include "runner/build_info.h"
#include "runner/sha256.h"
#include "runner/spawn.h"

namespace hmb {

bool refuse_stray_gates(const char* tool, const EnvMap& parent) {
  std::string msg = stray_refusal(stray_gates(parent));
  if (msg.empty()) return true;
  std::fprintf(stderr, "%s: %s\n", tool, msg.c_str());
  return false;
}

Provenance make_provenance(const ChildContext& ctx, const std::vector<std::string>& argv, const EnvMap& common_env,
                           const std::string& profile) {
  Provenance p;
  p.date = utc_now_iso();
  // The tree as the sitting found it: the entries this process appends to the ledger must not
  // make the ones after them read as taken on a dirty tree.
  GitState g = sitting_git_state(source_dir());
  p.commit = g.commit;
  p.dirty = g.dirty;
  p.preset = build_preset();
  p.binary_sha256 = sha256_file(ctx.bench);
  Machine m = machine_info();
  p.cpu = m.cpu;
  p.cores = m.cores;
  p.line_rtt_ns = m.line_rtt_ns;
  p.command = shell_join(argv);
  p.env = common_env;
  p.profile = profile;
  return p;
}

std::string regenerate_ledger_md(const std::string& ledger_path) {
  auto md = std::filesystem::path(ledger_path).parent_path() / "LEDGER.md";
  write_file(md.string(), render_ledger_md(read_ledger(ledger_path)));
  return md.string();
}

EnvMap bench_settings(unsigned long iters, unsigned threads) {
  EnvMap s;
  if (iters) s["HMB_ITERS"] = std::to_string(iters);
  if (threads) s["HMB_THREADS"] = std::to_string(threads);
  return s;
}

}  // namespace hmb
