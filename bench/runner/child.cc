#include "runner/child.h"

#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include "runner/spawn.h"

namespace hmb {

namespace {

std::string tail(const std::string& s, size_t n = 2000) { return s.size() > n ? s.substr(s.size() - n) : s; }

}  // namespace

EnvMap child_env(const ChildContext& ctx, const Variant& v, const EnvMap& gates) {
  return scrub_env(ctx.parent, {ctx.settings, gates, v.mode == "preload" ? v.preload : ""});
}

BenchSample run_case(const ChildContext& ctx, const std::string& profile, const Variant& v, const EnvMap& gates) {
  EnvMap env = child_env(ctx, v, gates);
  auto r = run_process({ctx.bench, "--benchmark_filter=" + bench_filter(profile, v.bench_variant),
                        "--benchmark_format=json"},
                       &env);
  if (r.status != 0)
    throw std::runtime_error(v.allocator + "/" + v.mode + " " + profile + ": hakmem-bench exited with " +
                             std::to_string(r.status) + "\n" + tail(r.err));
  try {
    return parse_bench_json(r.out, bench_case(profile, v.bench_variant));
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) + "\n" + tail(r.err));
  }
}

double run_callgrind(const ChildContext& ctx, const std::string& profile, const Variant& v, const EnvMap& gates,
                     unsigned long iters) {
  ChildContext c = ctx;
  c.settings["HMB_ITERS"] = std::to_string(iters);
  EnvMap env = child_env(c, v, gates);
  std::string out_file = "/tmp/hmb-callgrind-" + std::to_string(getpid()) + ".out";
  auto r = run_process({"valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=" + out_file,
                        ctx.bench, "--benchmark_filter=" + bench_filter(profile, v.bench_variant),
                        "--benchmark_format=json"},
                       &env);
  std::string text = read_file(out_file);
  std::remove(out_file.c_str());
  if (r.status != 0)
    throw std::runtime_error("callgrind run of " + v.allocator + " exited with " + std::to_string(r.status) + "\n" +
                             tail(r.err));
  BenchSample s = parse_bench_json(r.out, bench_case(profile, v.bench_variant));
  if (s.ops <= 0) throw std::runtime_error("callgrind run reported no ops");
  return parse_callgrind_ir(text) / s.ops;
}

std::vector<std::string> list_cases(const ChildContext& ctx) {
  EnvMap env = scrub_env(ctx.parent, {ctx.settings, {}, ""});
  auto r = run_process({ctx.bench, "--benchmark_list_tests=true"}, &env);
  if (r.status != 0) throw std::runtime_error("cannot list the cases of " + ctx.bench + "\n" + tail(r.err));
  return parse_case_list(r.out);
}

}  // namespace hmb
