#!/usr/bin/env bash
# The main job: set up, build (release), run the Mixed 16-1024B benchmark side by side
# against mimalloc and glibc (plus tcmalloc/jemalloc), and write the design-review
# questionnaire for the front fast lane from the live state.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" \
  --target hakmem hakmem_api hakmem_preload hakmem_driver hakmem-registry hakmem-bench hakmem-sbs hakmem-ab hakmem-review
build/release/bin/hakmem sbs --profile mixed --runs "${RUNS:-5}"
if [ -x build/release/bin/hakmem-review ]; then
  build/release/bin/hakmem review questionnaire --topic review/topics/front-fastlane.json --out docs/questionnaire
fi
