#!/bin/bash -eu
# Runs fuzz/build.sh the way OSS-Fuzz and ClusterFuzzLite do -- CC, CXX, CFLAGS, CXXFLAGS,
# LIB_FUZZING_ENGINE, SRC, WORK and OUT set for one sanitizer -- with this machine's clang, then
# runs every built target over its seed-corpus zip (and, for coverage, checks that the run
# wrote a profile).
#
#   fuzz/oss_fuzz_local.sh address|undefined|coverage [OUT_ROOT]   (default build/oss-fuzz)
#
# The flags follow OSS-Fuzz's base-builder image; what only the service runs (its own clang,
# the build-check of every engine, the fuzzing itself) is listed in docs/fuzzing.md.
cd "$(dirname "$0")/.."
san=${1:?usage: fuzz/oss_fuzz_local.sh address|undefined|coverage [OUT_ROOT]}
root=${2:-build/oss-fuzz}
case "$root" in /*) ;; *) root=$PWD/$root ;; esac
common="-O1 -fno-omit-frame-pointer -gline-tables-only"
ub="array-bounds,bool,builtin,enum,float-divide-by-zero,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unsigned-integer-overflow,unreachable,vla-bound,vptr"
ub_fatal="array-bounds,bool,builtin,enum,float-divide-by-zero,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr"
case "$san" in
  address) flags="-fsanitize=address -fsanitize-address-use-after-scope" ;;
  undefined) flags="-fsanitize=$ub -fno-sanitize-recover=$ub_fatal" ;;
  coverage) flags="-fprofile-instr-generate -fcoverage-mapping -pthread -Wl,--no-as-needed -Wl,-ldl -Wl,-lm -Wno-unused-command-line-argument" ;;
  *) echo "unknown sanitizer $san" >&2; exit 2 ;;
esac
[ "$san" = coverage ] || flags="$flags -fsanitize=fuzzer-no-link"
export CC=clang CXX=clang++ SANITIZER=$san FUZZING_ENGINE=libfuzzer
export CFLAGS="$common $flags" CXXFLAGS="$common $flags"
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
export SRC=$PWD/.. WORK=$root/$san/work OUT=$root/$san/out
rm -rf "$WORK" "$OUT"
mkdir -p "$WORK" "$OUT"
fuzz/build.sh
export UBSAN_OPTIONS=silence_unsigned_overflow=1:halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
fail=0
for t in "$OUT"/*_fuzz; do
  h=$(basename "$t")
  seeds="$WORK/seeds/$h"
  rm -rf "$seeds" && mkdir -p "$seeds"
  unzip -q "$OUT/${h}_seed_corpus.zip" -d "$seeds"
  n=$(ls "$seeds" | wc -l)
  if [ "$san" = coverage ]; then
    rm -f "$WORK/$h.profraw"
    LLVM_PROFILE_FILE="$WORK/$h.profraw" "$t" -runs=0 "$seeds" >"$WORK/$h.log" 2>&1 || { echo "$h: FAILED (see $WORK/$h.log)"; fail=1; continue; }
    [ -s "$WORK/$h.profraw" ] || { echo "$h: no profile written"; fail=1; continue; }
  else
    "$t" -runs=0 "$seeds" >"$WORK/$h.log" 2>&1 || { echo "$h: FAILED (see $WORK/$h.log)"; fail=1; continue; }
  fi
  echo "$h: $n seed inputs replayed ($san)"
done
exit $fail
