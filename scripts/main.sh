#!/usr/bin/env bash
# The main job: set up, build (release), run the Mixed 16-1024B benchmark side by side
# against mimalloc and glibc (plus tcmalloc/jemalloc), and write the design-review
# questionnaire for the front fast lane from the live state.
#
# By default nothing tracked is modified: the ledger entry, LEDGER.md, the questionnaire
# and the box graph go to build/main/ (a copy of the committed ledger plus the new entry).
# With --update they go to the tracked places (bench/ledger/, docs/questionnaire/, docs/boxes/).
set -euo pipefail
cd "$(dirname "$0")/.."
update=0
for arg in "$@"; do
  case "$arg" in
    --update) update=1 ;;
    -h|--help) echo "usage: scripts/main.sh [--update]   (RUNS=N sets the side-by-side runs, default 5)"; exit 0 ;;
    *) echo "scripts/main.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
./scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" \
  --target hakmem hakmem_api hakmem_preload hakmem_driver hakmem-registry hakmem-bench hakmem-sbs hakmem-ab hakmem-review
if [ "$update" = 1 ]; then
  ledger=bench/ledger/ledger.jsonl out=docs/questionnaire graph=docs/boxes
else
  ledger=build/main/ledger.jsonl out=build/main/questionnaire graph=build/main/boxes
  mkdir -p build/main
  cp bench/ledger/ledger.jsonl "$ledger"
fi
build/release/bin/hakmem sbs --profile mixed --runs "${RUNS:-5}" --ledger "$ledger"
if [ -x build/release/bin/hakmem-review ]; then
  build/release/bin/hakmem review questionnaire --topic review/topics/front-fastlane.json \
    --ledger "$ledger" --out "$out" --graph-out "$graph"
fi
[ "$update" = 1 ] || echo "main: outputs in build/main/ (the tracked tree is unchanged; --update writes them in place)"
