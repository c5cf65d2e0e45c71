#!/bin/bash -eu
# ClusterFuzzLite entry point: the tree's OSS-Fuzz build script does the work.
exec "$SRC/hakmem/fuzz/build.sh"
