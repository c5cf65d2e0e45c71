#!/usr/bin/env bash
# The whole test suite, in lanes:
#   release  every test (unit, property, invariants, misuse, real programs, tools, bench logic)
#   asan     ASan+UBSan with the debug check hooks compiled in (mutation tests fire through them)
#   tsan     every test labelled "threads"
#   debug    the real programs under the debug build's drop-in library, check hooks at level 2
#   fuzz     every libFuzzer harness for a short budget, then the pre-merge table
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
jobs=$(nproc)
lane() {  # lane <preset> <build targets, comma separated> [ctest args...]
  local preset=$1 targets=$2; shift 2
  echo "=== lane: $preset ==="
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" --target ${targets//,/ } -j"$jobs"
  ctest --preset "$preset" -j"$jobs" "$@"
}
lane release all
lane asan all -LE "preload|bench|install"
lane tsan hakmem_threads_tests -L threads
# Real programs under the debug build's libhakmem.so at HAKMEM_CHECK=2 (the check hooks live).
lane debug hakmem_preload,preload_real_programs_test,preload_startup_order_test,preload_clean_run_test,preload_address_limit_test,preload_footprint_test,security_test -L preload
if [ -f fuzz/build.sh ] && [ -x build/release/bin/hakmem-fuzz ]; then
  echo "=== lane: fuzz ==="
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j"$jobs"
  build/release/bin/hakmem fuzz --budget "${FUZZ_BUDGET:-90s}" --build build/fuzz
fi
echo "test.sh: all lanes passed"
