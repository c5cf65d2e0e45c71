#!/bin/bash -eu
# OSS-Fuzz entry point: the project's own build script builds every harness into $OUT.
exec "$SRC/hakmem/fuzz/build.sh"
