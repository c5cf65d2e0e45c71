#!/usr/bin/env bash
# The whole test suite: release (unit, property, invariant, real programs), ASan+UBSan,
# TSan for the threaded tests, and a short budget of every fuzz harness.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
jobs=$(nproc)
lane() {  # lane <preset> [ctest args...]
  local preset=$1; shift
  echo "=== lane: $preset ==="
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  ctest --preset "$preset" -j"$jobs" "$@"
}
lane release
lane debug
lane asan -LE "preload|bench"
lane tsan -L threads
if [ -f fuzz/build.sh ] && [ -x build/release/bin/hakmem-fuzz ]; then
  echo "=== lane: fuzz ==="
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j"$jobs"
  build/release/bin/hakmem fuzz --budget "${FUZZ_BUDGET:-2m}" --build build/fuzz
fi
echo "test.sh: all lanes passed"
