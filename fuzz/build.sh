#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script: builds every harness of fuzz/ with the platform's
# $CC $CXX $CFLAGS $CXXFLAGS and $LIB_FUZZING_ENGINE, and copies each with its seed corpus
# (zip) and dictionary into $OUT. Run from the repository root ($SRC/hakmem on OSS-Fuzz).
# The allocator is compiled with the same flags as the harnesses (so it is instrumented too), but
# for comparison tracing (below).
cd "$(dirname "$0")/.."
: "${CC:=clang}" "${CXX:=clang++}" "${CFLAGS:=}" "${CXXFLAGS:=}" "${OUT:=build/oss-fuzz-out}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
WORK=${WORK:-build/oss-fuzz-work}
mkdir -p "$OUT" "$WORK"
OUT=$(cd "$OUT" && pwd)
# As the fuzz preset builds them: the invariant-check hooks compiled in (HAKMEM_DEBUG) and, under
# ASan, hakmem's own poisoning of free blocks (HAKMEM_ASAN) -- else the service would fuzz, and
# `hakmem fuzz --coverage` measure, an allocator without either.
INC="-Ialloc -Iinclude -Ifuzz -DHAKMEM_DEBUG=1"
case "$CXXFLAGS" in *-fsanitize=address*) INC="$INC -DHAKMEM_ASAN=1" ;; esac
# The allocator is built without RTTI, which clang's vptr check (part of OSS-Fuzz's undefined
# build) refuses: it has no polymorphic classes, so the check is dropped for it alone.
NORTTI="-fno-rtti"
case "$CXXFLAGS" in *vptr*) NORTTI="-fno-rtti -fno-sanitize=vptr" ;; esac
# The allocator's comparisons compare its own state, not input bytes: under libFuzzer's
# instrumentation they keep edge coverage but are not traced (as fuzz/CMakeLists.txt does); the
# harnesses, which parse the input, keep comparison tracing.
BOXCOV=""
case "$CXXFLAGS" in *fuzzer-no-link*) BOXCOV="-fno-sanitize-coverage=trace-cmp" ;; esac
objs=()
for src in $(sed -n '/set(HAKMEM_BOX_SOURCES/,/)/p' alloc/CMakeLists.txt | grep '\.cc'); do
  obj="$WORK/$(echo "$src" | tr / _).o"
  $CXX $CXXFLAGS $BOXCOV -std=c++20 -fno-exceptions $NORTTI -fvisibility=hidden -ftls-model=initial-exec $INC \
    -c "alloc/$src" -o "$obj"
  objs+=("$obj")
done
for src in $(ls invariants/*.cc 2>/dev/null | grep -v '_main\.cc$' || true); do
  obj="$WORK/$(echo "$src" | tr / _).o"
  $CXX $CXXFLAGS $BOXCOV -std=c++20 $INC -Iinvariants -c "$src" -o "$obj"
  objs+=("$obj")
done
for src in fuzz/*_fuzz.cc; do
  h=$(basename "$src" .cc)
  $CXX $CXXFLAGS -std=c++20 $INC "$src" "${objs[@]}" $LIB_FUZZING_ENGINE -lpthread -o "$OUT/$h"
  if [ -d "fuzz/corpus/$h" ] && command -v zip >/dev/null; then
    rm -f "$OUT/${h}_seed_corpus.zip"
    zip -q -j "$OUT/${h}_seed_corpus.zip" "fuzz/corpus/$h"/*
  fi
  [ -f "fuzz/$h.dict" ] && cp "fuzz/$h.dict" "$OUT/$h.dict"
done
echo "build.sh: $(ls fuzz/*_fuzz.cc | wc -l) harnesses in $OUT"
