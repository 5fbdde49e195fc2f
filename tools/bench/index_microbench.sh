#!/usr/bin/env bash
# tools/bench/index_microbench.sh [KEYS]: builds and runs tools/bench/index_microbench.cpp
# (in-process: invalidation index options' memory per key and SET upkeep; store INVALIDATE speed).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=/tmp/shardcache-index-microbench
g++ -std=c++20 -O2 -DNDEBUG -I. tools/bench/index_microbench.cpp daemon/store/*.cpp -lxxhash -ljemalloc -o "$out"
"$out" "${1:-1000000}"
