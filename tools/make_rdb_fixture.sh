#!/usr/bin/env bash
# tools/make_rdb_fixture.sh: regenerates tests/unit/fixtures/redis-7.0.15.rdb, a small dump written
# by the reference redis-server 7.0.15, read by tests/unit/persist/rdb_format_test.cpp. Strings in
# each encoding Redis writes (raw, int8/16/32, LZF), a TTL far in the future and one already
# past (active expiry off, so SAVE writes it: Redis 7.0 saves expired keys), and one key of each
# other type, with the encodings a default server picks (listpack hash/zset, quicklist, intset,
# string set, stream with a consumer group) plus a hashtable hash and a skiplist zset.
# Usage: tools/make_rdb_fixture.sh [out-file]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/tests/unit/fixtures/redis-7.0.15.rdb}
redis-server --version | grep -q 'v=7.0.15' || { echo "needs redis-server 7.0.15"; exit 1; }
PY=/usr/bin/python3
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --dbfilename fixture.rdb \
  --enable-debug-command local --daemonize no >"$dir/log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
cli() { timeout 10 redis-cli -h 127.0.0.1 -p "$port" "$@" >/dev/null; }
for _ in $(seq 1 100); do redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
cli debug set-active-expire 0
cli set plain hello
cli set int8 -7
cli set int16 12345
cli set int32 1234567890
cli set notint 007
cli set compressible "$(printf 'abcdefghij%.0s' $(seq 1 20))"
cli set future value-with-ttl
cli pexpireat future 4102444800000
cli set expired gone-soon
cli pexpire expired 100
sleep 0.3   # now past its expiry; nothing touches it, so it is still in the keyspace
cli hset hash f1 v1 f2 v2
cli rpush list a b 3
cli sadd intset 1 2 3
cli sadd set x y z
cli zadd zset 1 a 2.5 b
cli xadd stream 1-1 f v
cli xadd stream 2-1 f2 v2
cli xgroup create stream group 0
cli xreadgroup group group alice count 1 streams stream '>'
cli config set hash-max-listpack-entries 0
cli config set zset-max-listpack-entries 0
cli hset bighash f v
cli zadd bigzset 3 c
cli save
cp "$dir/fixture.rdb" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
