#!/usr/bin/env bash
# tools/bench/resp_bench.sh: redis-server vs shardcached under the same redis-benchmark loads, in
# one run. Starts Debian's redis-server (--save '' --appendonly no) and one release shardcached
# per --threads value on free loopback ports, then for each load (SET/GET, 100-byte values,
# 50 clients, pipeline 1 and 16, -n requests over -r keys) runs redis-benchmark against each
# server in turn, unpinned and/or pinned (server on CPU 1, redis-benchmark on CPU 0). Prints
# requests/s and server CPU seconds per million operations (utime+stime from /proc/<pid>/stat
# before/after each load) side by side with the shardcached/redis ratio, plus each server's RSS.
# With BENCH_REPEAT=R every load runs R times (servers interleaved) and the median is shown: the
# machine is shared, so single runs are noisy (CPU per operation much less so than req/s).
#
# Environment (defaults in brackets):
#   BENCH_N [1000000]  requests per load      BENCH_KEYS [100000]   key space (-r)
#   BENCH_CLIENTS [50]                        BENCH_DATA [100]      value bytes (-d)
#   BENCH_PIPELINES ["1 16"]                  BENCH_TESTS ["set get"]
#   BENCH_THREADS ["1 2"] shardcached --threads values
#   BENCH_PIN ["unpinned pinned"]             BENCH_REPEAT [1] runs per load (median shown)
#   BENCH_SHARDCACHED  daemon binary (default: release build in build-resp-bench, configured
#                      and built if missing)
#   BENCH_MD  file to write the results as a markdown table too
#   BENCH_TIMEOUT [300] seconds one redis-benchmark run may take before it is killed
# Installs redis-server/redis-tools with apt-get when missing (tools/lib/setup.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${BENCH_N:-1000000}
KEYS=${BENCH_KEYS:-100000}
CLIENTS=${BENCH_CLIENTS:-50}
DATA=${BENCH_DATA:-100}
PIPELINES=${BENCH_PIPELINES:-"1 16"}
TESTS=${BENCH_TESTS:-"set get"}
THREADS=${BENCH_THREADS:-"1 2"}
PIN=${BENCH_PIN:-"unpinned pinned"}
REPEAT=${BENCH_REPEAT:-1}
TIMEOUT=${BENCH_TIMEOUT:-300}
PY=/usr/bin/python3
TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

source "$ROOT/tools/lib/setup.sh"  # sc_install_pkgs, sc_build
sc_install_pkgs redis-server redis-tools util-linux || exit 1
if [ -n "${BENCH_SHARDCACHED:-}" ]; then
  SC_BIN=$BENCH_SHARDCACHED
else
  SC_BIN=$ROOT/build-resp-bench/daemon/shardcached
  sc_install_pkgs $SC_BUILD_PKGS || exit 1
  sc_build build-resp-bench --buildtype=release || exit 1
fi
[ -x "$SC_BIN" ] || { echo "resp_bench: no daemon at $SC_BIN"; exit 1; }

WORK=$(mktemp -d /tmp/resp-bench.XXXXXX)
PIDS=()
cleanup() {
  local p i
  for p in "${PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || continue
    for i in $(seq 1 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_server NAME CMD...: starts CMD (which must listen on $PORT), waits until the server that
# answers on $PORT reports our pid (so a port taken by someone else is never measured).
# Sets NAMES/PORTS/SPIDS entries.
NAMES=(); PORTS=(); SPIDS=()
start_server() {
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  local pid=$! i
  PIDS+=("$pid")
  for i in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then echo "resp_bench: $name exited:"; cat "$WORK/$name.log"; exit 1; fi
    if [ "$(timeout 2 redis-cli -p "$PORT" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')" = "$pid" ]; then
      NAMES+=("$name"); PORTS+=("$PORT"); SPIDS+=("$pid")
      return 0
    fi
    sleep 0.05
  done
  echo "resp_bench: $name did not answer on port $PORT:"; cat "$WORK/$name.log"; exit 1
}

# cpu_ticks PID: utime+stime of every thread of PID, in clock ticks (fields 14 and 15 of stat).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# set_affinity PID CPULIST: every thread of PID onto CPULIST.
set_affinity() { taskset -a -p -c "$2" "$1" >/dev/null; }

PORT=$(free_port)
start_server redis redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no --daemonize no
for t in $THREADS; do
  PORT=$(free_port)
  start_server "sc-t$t" "$SC_BIN" --bind 127.0.0.1 --port "$PORT" --save "" --http-port 0 --threads "$t" --loglevel warn
done

ALL_CPUS="0-$((NCPU - 1))"
echo "# resp_bench: $(date -u +%Y-%m-%dT%H:%MZ), $NCPU CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# redis-benchmark -c $CLIENTS -n $N -r $KEYS -d $DATA -P {${PIPELINES// /,}}, $REPEAT run(s) per load (median); redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'); shardcached $SC_BIN --threads {${THREADS// /,}}"
echo "# pinned: server on CPU 1, redis-benchmark on CPU 0; unpinned: both free on CPUs $ALL_CPUS"

RESULTS=$WORK/results.tsv  # mode test pipeline server rps cpu_s_per_M
: >"$RESULTS"
for mode in $PIN; do
  for p in $PIPELINES; do
    for t in $TESTS; do
     for _rep in $(seq 1 "$REPEAT"); do
      for idx in "${!NAMES[@]}"; do
        name=${NAMES[$idx]} port=${PORTS[$idx]} pid=${SPIDS[$idx]}
        bench_cpu=$ALL_CPUS
        if [ "$mode" = pinned ]; then set_affinity "$pid" 1; bench_cpu=0; else set_affinity "$pid" "$ALL_CPUS"; fi
        before=$(cpu_ticks "$pid")
        line=$(timeout "$TIMEOUT" taskset -c "$bench_cpu" redis-benchmark -h 127.0.0.1 -p "$port" -t "$t" \
                 -c "$CLIENTS" -n "$N" -r "$KEYS" -d "$DATA" -P "$p" --csv 2>/dev/null | grep -v '^"test"' | tail -1) || true
        after=$(cpu_ticks "$pid")
        rps=$(echo "$line" | cut -d, -f2 | tr -d '"')
        [ -n "$rps" ] || { echo "resp_bench: redis-benchmark failed against $name ($t, P$p)"; exit 1; }
        cpu=$(awk -v b="$before" -v a="$after" -v tck="$TCK" -v n="$N" 'BEGIN { printf "%.3f", (a - b) / tck / (n / 1e6) }')
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$t" "$p" "$name" "$rps" "$cpu" >>"$RESULTS"
        printf '# %-8s %-3s P%-2s %-6s %12s req/s  %7s CPU s/M ops\n' "$mode" "$t" "$p" "$name" "$rps" "$cpu"
      done
     done
    done
  done
done
for idx in "${!NAMES[@]}"; do
  set_affinity "${SPIDS[$idx]}" "$ALL_CPUS"
  keys=$(timeout 2 redis-cli -p "${PORTS[$idx]}" dbsize | tr -d '\r')
  printf '%s\t%s\t%s\n' "${NAMES[$idx]}" "$(rss_kb "${SPIDS[$idx]}")" "$keys" >>"$WORK/rss.tsv"
done

# The side-by-side table: one row per (mode, test, pipeline, shardcached threads), medians.
report() {  # report md|text
  awk -F'\t' -v fmt="$1" -v rssfile="$WORK/rss.tsv" '
    function median(list,   v, m, i, j, x) {
      m = split(list, v, " ")
      for (i = 2; i <= m; ++i) { x = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > x; --j) v[j + 1] = v[j]; v[j + 1] = x }
      return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
    }
    { key = $1 SUBSEP $2 SUBSEP $3
      if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
      rl[key, $4] = rl[key, $4] " " $5; cl[key, $4] = cl[key, $4] " " $6
      if ($4 != "redis" && !(($4) in isc)) { isc[$4] = 1; sc[++ns] = $4 } }
    END {
      for (k in rl) { rps[k] = median(rl[k]) + 0; cpu[k] = median(cl[k]) + 0 }
      if (fmt == "md") {
        print "| mode | test | pipeline | shardcached | redis req/s | shardcached req/s | ratio | redis CPU s/M | shardcached CPU s/M | CPU ratio |"
        print "|---|---|---:|---|---:|---:|---:|---:|---:|---:|"
      } else {
        printf "%-8s %-4s %3s %-7s %12s %12s %6s %9s %9s %6s\n", "mode", "test", "P", "server", "redis r/s", "sc r/s", "ratio", "redis s/M", "sc s/M", "cpu x"
      }
      for (i = 1; i <= nk; ++i) {
        split(order[i], f, SUBSEP)
        for (j = 1; j <= ns; ++j) {
          r = rps[order[i], "redis"]; s = rps[order[i], sc[j]]
          rc = cpu[order[i], "redis"]; scc = cpu[order[i], sc[j]]
          ratio = r > 0 ? sprintf("%.2f", s / r) : "-"
          cratio = rc > 0 ? sprintf("%.2f", scc / rc) : "-"
          if (fmt == "md")
            printf "| %s | %s | %s | %s | %.0f | %.0f | %s | %.2f | %.2f | %s |\n", f[1], toupper(f[2]), f[3], sc[j], r, s, ratio, rc, scc, cratio
          else
            printf "%-8s %-4s %3s %-7s %12.0f %12.0f %6s %9.2f %9.2f %6s\n", f[1], toupper(f[2]), f[3], sc[j], r, s, ratio, rc, scc, cratio
        }
      }
      while ((getline line < rssfile) > 0) {
        split(line, g, "\t")
        if (fmt == "md") printf "%s- %s: RSS %.1f MiB with %s keys\n", (shown++ ? "" : "\n"), g[1], g[2] / 1024, g[3]
        else printf "%s%-7s RSS %8.1f MiB  keys %s\n", (shown++ ? "" : "\n"), g[1], g[2] / 1024, g[3]
      }
    }' "$RESULTS"
}
echo
report text
if [ -n "${BENCH_MD:-}" ]; then report md >"$BENCH_MD"; fi
