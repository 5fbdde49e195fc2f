#!/usr/bin/env bash
# tools/bench/callgrind_resp.sh: instructions per operation of a RESP server on the hot path,
# counted by valgrind's callgrind (repeatable on a noisy machine, unlike timings). Starts the
# server under callgrind with instrumentation off, switches it on for the load only (short
# redis-benchmark runs: SET then GET, 100-byte values, 50 clients, pipeline 1 and 16), and prints
# instructions per operation for each load and overall, plus the top functions.
#
# Usage: tools/bench/callgrind_resp.sh [shardcached|redis] [out-dir]
# Environment: CG_N [20000] requests per load, CG_KEYS [100000], CG_PIPELINES ["1 16"],
#   CG_TESTS ["set get"], CG_THREADS [1] shardcached --threads, CG_SHARDCACHED daemon binary
#   (default build-resp-bench/daemon/shardcached, built by tools/bench/resp_bench.sh), CG_ARGS
#   extra shardcached flags (e.g. "--cluster-enabled yes --dir D", as tools/bench/cluster_bench.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${1:-shardcached}
OUT=${2:-/tmp/callgrind-resp}
N=${CG_N:-20000}
KEYS=${CG_KEYS:-100000}
PIPELINES=${CG_PIPELINES:-"1 16"}
TESTS=${CG_TESTS:-"set get"}
SC_BIN=${CG_SHARDCACHED:-$ROOT/build-resp-bench/daemon/shardcached}
PY=/usr/bin/python3
mkdir -p "$OUT"

source "$ROOT/tools/lib/setup.sh"  # sc_install_pkgs: valgrind and redis from Debian when missing
sc_install_pkgs valgrind redis-server redis-tools || exit 1
[ -x "$SC_BIN" ] || [ "$TARGET" = redis ] || { echo "callgrind_resp: no daemon at $SC_BIN (run tools/bench/resp_bench.sh once to build it)"; exit 1; }
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
case "$TARGET" in
  shardcached) CMD=("$SC_BIN" --bind 127.0.0.1 --port "$PORT" --save "" --http-port 0 --threads "${CG_THREADS:-1}" --loglevel warn ${CG_ARGS:-}) ;;
  redis) CMD=(redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no) ;;
  *) echo "usage: $0 [shardcached|redis] [out-dir]"; exit 2 ;;
esac

valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/$TARGET.%p.out" "${CMD[@]}" \
  >"$OUT/$TARGET.log" 2>&1 &
VPID=$!
trap 'kill -TERM $VPID 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do  # valgrind start-up is slow: up to 60 s
  [ "$(timeout 5 redis-cli -p "$PORT" ping 2>/dev/null)" = PONG ] && break
  kill -0 "$VPID" 2>/dev/null || { cat "$OUT/$TARGET.log"; exit 1; }
  sleep 0.2
done

# dump_ir NAME: dumps the counts collected since the last dump (callgrind zeroes them on a dump),
# keeps that dump's top functions in $OUT/$TARGET.NAME.top.txt, and prints its instruction total.
dump_ir() {
  local before after f
  before=$(ls "$OUT/$TARGET.$VPID.out".* 2>/dev/null | wc -l)
  callgrind_control -d "$VPID" >/dev/null 2>&1
  for _ in $(seq 1 100); do
    after=$(ls "$OUT/$TARGET.$VPID.out".* 2>/dev/null | wc -l)
    [ "$after" -gt "$before" ] && break
    sleep 0.1
  done
  f=$(ls -t "$OUT/$TARGET.$VPID.out".* | head -1)
  callgrind_annotate "$f" 2>/dev/null | sed -n '/file:function/,$p' | sed -n '3,30p' |
    sed -E 's/std::basic_string_view<char, std::char_traits<char> >/string_view/g' | cut -c1-180 >"$OUT/$TARGET.$1.top.txt"
  sed -n 's/^totals: *//p;s/^summary: *//p' "$f" | head -1
}

rm -f "$OUT/$TARGET.$VPID.out"* "$OUT/$TARGET".*.top.txt
callgrind_control -i on "$VPID" >/dev/null 2>&1; callgrind_control -z "$VPID" >/dev/null 2>&1
total_ir=0
total_ops=0
for p in $PIPELINES; do
  for t in $TESTS; do
    timeout 600 redis-benchmark -h 127.0.0.1 -p "$PORT" -t "$t" -c 50 -n "$N" -r "$KEYS" -d 100 -P "$p" -q >/dev/null 2>&1
    ir=$(dump_ir "$t.P$p")
    printf '%-11s %-3s P%-2s %8.0f instructions/op\n' "$TARGET" "$t" "$p" "$(awk -v a="$ir" -v n="$N" 'BEGIN { print a / n }')"
    total_ir=$((total_ir + ir))
    total_ops=$((total_ops + N))
  done
done
callgrind_control -i off "$VPID" >/dev/null 2>&1
printf '%-11s all        %8.0f instructions/op over %d ops\n' "$TARGET" "$(awk -v a="$total_ir" -v n="$total_ops" 'BEGIN { print a / n }')" "$total_ops"
echo "top functions per load: $OUT/$TARGET.<test>.P<pipeline>.top.txt"
