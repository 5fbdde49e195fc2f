#!/usr/bin/env bash
# tools/bench/rdb_bench.sh [SHARDCACHED]: warm restart, shardcached next to redis-server 7 on the
# same data in one run. For each key count in KEYS_LIST (default "1000000 5000000", 15-byte keys,
# 100-byte values):
#   fill    redis-server through redis-cli --pipe, SAVE there, and start shardcached on that file;
#   save    SAVE on each (wall time and the server's CPU time), then BGSAVE on each (wall time,
#           shardcached's peak RSS while it runs);
#   load    restart each on its own file: time from exec until DBSIZE answers the full count;
#   latency redis-benchmark GET/SET (LAT_CLIENTS clients, pipeline 1) for LAT_SECONDS, once idle
#           and once with BGSAVE running, restarted until the run is covered: p99 and max latency.
# Prints one table row per size and the ratios (shardcached keys/s / redis keys/s). The machine is
# shared and small: compare the ratios, not the times. Loopback only; every wait is bounded.
# SC_ARGS adds flags to shardcached's command line (e.g. SC_ARGS="--rdb-save-threads 1").
set -euo pipefail
cd "$(dirname "$0")/../.."
SC=${1:-build/daemon/shardcached}
PY=/usr/bin/python3
KEYS_LIST=${KEYS_LIST:-"1000000 5000000"}
LAT_CLIENTS=${LAT_CLIENTS:-20}
LAT_REQUESTS=${LAT_REQUESTS:-400000}
WORK=$(mktemp -d /tmp/rdb_bench.XXXXXX)
PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# cpu_ms PID: user+system CPU time of PID so far, in ms.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
rc() { redis-cli -h 127.0.0.1 -p "$@"; }
info_field() { rc "$1" INFO "$2" | tr -d '\r' | sed -n "s/^$3://p"; }

# wait_dbsize PORT N: polls (10 ms, at most 600 s) until DBSIZE on PORT answers N.
wait_dbsize() {
  local i
  for i in $(seq 1 60000); do
    [ "$(rc "$1" DBSIZE 2>/dev/null)" == "$2" ] && return 0
    sleep 0.01
  done
  echo "timed out waiting for DBSIZE $2 on port $1" >&2; return 1
}
# wait_bgsave PORT: polls (10 ms, at most 600 s) until no background save runs on PORT.
wait_bgsave() {
  local i
  for i in $(seq 1 60000); do
    [ "$(info_field "$1" persistence rdb_bgsave_in_progress)" == 0 ] && return 0
    sleep 0.01
  done
  return 1
}
# check_pid PORT PID: the server answering on PORT is our PID (before SHUTDOWN).
check_pid() { [ "$(info_field "$1" server process_id)" == "$2" ]; }

# start_redis DIR: sets RPORT RPID (loads DIR/dump.rdb if present).
start_redis() {
  RPORT=$(free_port)
  redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$1" --dbfilename dump.rdb --save '' \
    --appendonly no --daemonize no >"$1/redis.log" 2>&1 &
  RPID=$!; PIDS+=("$RPID")
}
# start_sc DIR: sets SPORT SPID (loads DIR/dump.rdb if present).
start_sc() {
  SPORT=$(free_port)
  # shellcheck disable=SC2086 # SC_ARGS: extra flags, word-split on purpose
  "$SC" --port "$SPORT" --bind 127.0.0.1 --http-port 0 --save '' --dir "$1" --maxmemory 0 ${SC_ARGS:-} \
    >"$1/shardcached.log" 2>&1 &
  SPID=$!; PIDS+=("$SPID")
}
stop_server() { # PORT PID
  check_pid "$1" "$2" && rc "$1" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  local i; for i in $(seq 1 500); do kill -0 "$2" 2>/dev/null || break; sleep 0.02; done
  kill -9 "$2" 2>/dev/null || true; wait "$2" 2>/dev/null || true
}

# fill PORT N: N SETs key:%011d -> 100 random hex digits (LZF gains little on them, as on most
# cached payloads), through redis-cli --pipe.
fill() {
  $PY - "$2" <<'PYEOF' | timeout 600 redis-cli -h 127.0.0.1 -p "$1" --pipe >/dev/null
import os, sys
n = int(sys.argv[1]); out = sys.stdout.buffer
for base in range(0, n, 100000):
    out.write(b"".join(b"*3\r\n$3\r\nSET\r\n$15\r\nkey:%011d\r\n$100\r\n%s\r\n" % (i, os.urandom(50).hex().encode())
                       for i in range(base, min(n, base + 100000))))
PYEOF
}

# timed_save PORT PID: SAVE; prints "wall_ms cpu_ms".
timed_save() {
  local t0 c0
  t0=$(now_ms); c0=$(cpu_ms "$2")
  [ "$(rc "$1" SAVE)" == OK ] || { echo "SAVE failed on $1" >&2; return 1; }
  echo "$(( $(now_ms) - t0 )) $(( $(cpu_ms "$2") - c0 ))"
}
# timed_bgsave PORT PID: BGSAVE until done; prints "wall_ms peak_rss_delta_kb".
timed_bgsave() {
  local t0 base peak r i
  base=$(rss_kb "$2"); peak=$base
  t0=$(now_ms)
  rc "$1" BGSAVE >/dev/null
  for i in $(seq 1 60000); do
    r=$(rss_kb "$2"); [ "$r" -gt "$peak" ] && peak=$r
    [ "$(info_field "$1" persistence rdb_bgsave_in_progress)" == 0 ] && break
    sleep 0.01
  done
  echo "$(( $(now_ms) - t0 )) $(( peak - base ))"
}
# latency PORT N SAVE(yes/no): redis-benchmark GET+SET on N keys; with SAVE=yes, a BGSAVE is started
# as the run starts and again whenever the previous one ends. Prints "p99_ms max_ms" (worst of GET
# and SET).
latency() {
  local out bpid
  redis-benchmark -h 127.0.0.1 -p "$1" -t get,set -n "$LAT_REQUESTS" -r "$2" -d 100 -c "$LAT_CLIENTS" \
    -P 1 --csv >"$WORK/lat.csv" 2>/dev/null &
  bpid=$!
  local i
  for i in $(seq 1 6000); do
    kill -0 "$bpid" 2>/dev/null || break
    if [ "$3" == yes ] && [ "$(info_field "$1" persistence rdb_bgsave_in_progress)" == 0 ]; then
      rc "$1" BGSAVE >/dev/null 2>&1 || true
    fi
    sleep 0.05
  done
  wait "$bpid" || true
  wait_bgsave "$1" || true
  # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  tr -d '"' <"$WORK/lat.csv" | awk -F, 'NR > 1 { if ($7 > p) p = $7; if ($8 > m) m = $8 } END { print p, m }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
kps() { awk -v n="$1" -v ms="$2" 'BEGIN { if (ms == 0) ms = 1; printf "%.0f", n * 1000 / ms }'; }

echo "# rdb_bench: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2/1048576 }' /proc/meminfo) RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# redis: $(redis-server --version | cut -d' ' -f3)   shardcached: $SC"
for n in $KEYS_LIST; do
  R=$WORK/redis-$n; S=$WORK/sc-$n; mkdir -p "$R" "$S"
  start_redis "$R"; wait_dbsize "$RPORT" 0
  fill "$RPORT" "$n"; wait_dbsize "$RPORT" "$n"
  read -r r_save_ms r_save_cpu < <(timed_save "$RPORT" "$RPID")
  read -r r_bg_ms _ < <(timed_bgsave "$RPORT" "$RPID")
  r_fork_us=$(info_field "$RPORT" stats latest_fork_usec)
  stop_server "$RPORT" "$RPID"
  rdb_mb=$(( $(stat -c %s "$R/dump.rdb") / 1048576 ))
  cp "$R/dump.rdb" "$S/dump.rdb"

  # shardcached loads redis-server's file (same data), then saves its own.
  start_sc "$S"; wait_dbsize "$SPORT" "$n"
  used_mb=$(( $(info_field "$SPORT" memory used_memory) / 1048576 ))
  read -r s_save_ms s_save_cpu < <(timed_save "$SPORT" "$SPID")
  read -r s_bg_ms s_bg_rss < <(timed_bgsave "$SPORT" "$SPID")
  stop_server "$SPORT" "$SPID"

  # load: each server on its own file, then the latency runs on the loaded server (they add keys
  # and overwrite the file, so they come last).
  t0=$(now_ms); start_redis "$R"; wait_dbsize "$RPORT" "$n"; r_load_ms=$(( $(now_ms) - t0 ))
  r_load_cpu=$(cpu_ms "$RPID")
  r_lat_idle=$(latency "$RPORT" "$n" no); r_lat_save=$(latency "$RPORT" "$n" yes)
  stop_server "$RPORT" "$RPID"
  t0=$(now_ms); start_sc "$S"; wait_dbsize "$SPORT" "$n"; s_load_ms=$(( $(now_ms) - t0 ))
  s_load_cpu=$(cpu_ms "$SPID")
  s_lat_idle=$(latency "$SPORT" "$n" no); s_lat_save=$(latency "$SPORT" "$n" yes)
  stop_server "$SPORT" "$SPID"
  rm -rf "$R" "$S"

  echo
  echo "## $n keys: rdb file $rdb_mb MB, shardcached used_memory $used_mb MB"
  printf '%-34s %14s %14s %8s\n' "" "redis-server" "shardcached" "ratio"
  printf '%-34s %14s %14s %8s\n' "SAVE keys/s (wall)" "$(kps "$n" "$r_save_ms")" "$(kps "$n" "$s_save_ms")" \
    "$(ratio "$r_save_ms" "$s_save_ms")"
  printf '%-34s %14s %14s %8s\n' "SAVE server CPU ms" "$r_save_cpu" "$s_save_cpu" "$(ratio "$r_save_cpu" "$s_save_cpu")"
  printf '%-34s %14s %14s %8s\n' "BGSAVE wall ms" "$r_bg_ms" "$s_bg_ms" "$(ratio "$r_bg_ms" "$s_bg_ms")"
  printf '%-34s %14s %14s %8s\n' "load keys/s (exec to DBSIZE)" "$(kps "$n" "$r_load_ms")" "$(kps "$n" "$s_load_ms")" \
    "$(ratio "$r_load_ms" "$s_load_ms")"
  printf '%-34s %14s %14s %8s\n' "load wall ms" "$r_load_ms" "$s_load_ms" ""
  printf '%-34s %14s %14s %8s\n' "load server CPU ms" "$r_load_cpu" "$s_load_cpu" "$(ratio "$r_load_cpu" "$s_load_cpu")"
  printf '%-34s %14s %14s %8s\n' "GET/SET p99 max ms, idle" "$r_lat_idle" "$s_lat_idle" ""
  printf '%-34s %14s %14s %8s\n' "GET/SET p99 max ms, during BGSAVE" "$r_lat_save" "$s_lat_save" ""
  printf '%-34s %14s %14s %8s\n' "fork us / peak RSS growth in BGSAVE" "$r_fork_us us" "$((s_bg_rss / 1024)) MB" ""
done
