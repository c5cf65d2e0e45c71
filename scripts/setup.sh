#!/usr/bin/env bash
# Installs every Debian 12 package hakmem builds, tests and benchmarks with. Idempotent.
set -euo pipefail
PKGS=(build-essential cmake pkg-config git python3 clang libclang-rt-14-dev libfuzzer-14-dev
      libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev libmimalloc-dev
      libjemalloc-dev libgoogle-perftools-dev nlohmann-json3-dev libcli11-dev libfmt-dev
      valgrind strace graphviz sqlite3 libpython3.11-testsuite lua5.4 bc)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
echo "setup: done"
