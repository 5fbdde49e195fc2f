#!/usr/bin/env bash
# tools/cluster.sh: a local shardcached cluster (Redis Cluster mode, static topology) on 127.0.0.1.
#   tools/cluster.sh start N [BASE_PORT]   write N topology files (slots split evenly), start N daemons
#                                           on BASE_PORT.. (default 7000), print the redis-cli -c line
#   tools/cluster.sh move START END PORT    give slots START..END to the node on PORT: rewrite every
#                                           node's file and SIGHUP every node (docs/operations.md)
#   tools/cluster.sh status                 each node: pid, PING, cluster_state, keys
#   tools/cluster.sh stop                   stop the daemons this script started (their pid files)
# Files live in $SC_CLUSTER_DIR (default: cluster-data/ in the repository): plan, node-PORT/{nodes.conf,
# pid, log}. The daemon is $SHARDCACHED, else build/daemon/shardcached (built as tools/run does).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${SC_CLUSTER_DIR:-$ROOT/cluster-data}"
CONF="/usr/bin/python3 $ROOT/tools/lib/cluster_conf.py"

daemon() {
  if [ -n "${SHARDCACHED:-}" ]; then echo "$SHARDCACHED"; return; fi
  if [ ! -x "$ROOT/build/daemon/shardcached" ]; then
    # shellcheck source=/dev/null
    source "$ROOT/tools/lib/setup.sh"
    sc_install_pkgs $SC_BUILD_PKGS >&2
    sc_build build --buildtype=release >&2
  fi
  echo "$ROOT/build/daemon/shardcached"
}

# pid of the node on PORT when it runs and is the shardcached this script started; else empty.
node_pid() {
  local f="$DIR/node-$1/pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--port $1 "; then echo "$pid"; fi
}

ports() { [ -f "$DIR/plan" ] && $CONF ports "$DIR" || true; }

cmd=${1:-}
case "$cmd" in
  start)
    n=${2:?usage: tools/cluster.sh start N [BASE_PORT]}; base=${3:-7000}
    for p in $(ports); do
      [ -z "$(node_pid "$p")" ] || { echo "a cluster is running in $DIR (port $p): tools/cluster.sh stop first" >&2; exit 1; }
    done
    bin=$(daemon)
    rm -rf "$DIR"
    $CONF init "$DIR" "$n" "$base"
    for p in $(ports); do
      nd="$DIR/node-$p"
      setsid "$bin" --port "$p" --http-port 0 --save "" --dir "$nd" --cluster-enabled yes \
        --cluster-config-file nodes.conf --logfile "$nd/log" </dev/null >/dev/null 2>&1 &
      echo $! >"$nd/pid"
    done
    for p in $(ports); do
      for _ in $(seq 100); do
        [ "$(redis-cli -p "$p" ping 2>/dev/null)" = PONG ] && break
        [ -n "$(node_pid "$p")" ] || { echo "node $p did not start:" >&2; tail -5 "$DIR/node-$p/log" >&2; exit 1; }
        sleep 0.1
      done
      [ "$(redis-cli -p "$p" ping 2>/dev/null)" = PONG ] || { echo "node $p does not answer" >&2; exit 1; }
    done
    echo "$n nodes running (files in $DIR). Connect with:"
    echo "  redis-cli -c -p $base"
    ;;
  move)
    start=${2:?usage: tools/cluster.sh move START END PORT}; end=${3:?}; to=${4:?}
    $CONF move "$DIR" "$start" "$end" "$to"
    for p in $(ports); do
      pid=$(node_pid "$p")
      [ -n "$pid" ] && kill -HUP "$pid"
    done
    echo "slots $start-$end now belong to 127.0.0.1:$to; every node re-read its file"
    ;;
  status)
    for p in $(ports); do
      pid=$(node_pid "$p")
      if [ -z "$pid" ]; then echo "127.0.0.1:$p stopped"; continue; fi
      state=$(redis-cli -p "$p" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_state://p')
      keys=$(redis-cli -p "$p" dbsize 2>/dev/null || echo "?")
      echo "127.0.0.1:$p pid $pid ping $(redis-cli -p "$p" ping 2>/dev/null || echo none) cluster_state:${state:-?} keys:$keys"
    done
    ;;
  stop)
    for p in $(ports); do
      pid=$(node_pid "$p")
      [ -n "$pid" ] || continue
      kill -TERM "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && echo "node $p (pid $pid) still running after 10 s" >&2
      rm -f "$DIR/node-$p/pid"
      echo "stopped 127.0.0.1:$p"
    done
    ;;
  *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
