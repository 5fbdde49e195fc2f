# tests/integration/suite_client.sh: libshardcache against the real daemon. Runs the doctest
# integration binary (every call, pipelining under threads, single-flight, fallback with the
# daemon killed and restarted, timeouts against python servers that hang, OOM, TTL classes,
# the Invalidator, JSON values shared both ways with the real @upstash/redis over the REST
# port), installs the build with `meson install --destdir`, compiles the LMS example
# against the INSTALLED copy with pkg-config, and runs it with and without a daemon.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$(dirname "$SHARDCACHED")/.." && pwd)   # the build directory holding the daemon
IT_BIN=$BUILD/tests/client_it/client_it
TMP=$(mktemp -d /tmp/shardcache-client-it.XXXXXX)
cleanup_all() { it_cleanup; rm -rf "$TMP"; }
trap cleanup_all EXIT

if [ ! -x "$IT_BIN" ]; then
  fail "client_it is built" "missing $IT_BIN (is nlohmann-json3-dev installed?)"
  finish; exit 1
fi
# The JSON interop test runs the real @upstash/redis (node) against the daemon's REST port:
# npm ci once in tests/integration/upstash (lockfile pinned), offline cache first.
UPSTASH_DIR=$ROOT/tests/integration/upstash
if [ ! -d "$UPSTASH_DIR/node_modules/@upstash/redis" ]; then
  (cd "$UPSTASH_DIR" && timeout 300 npm ci --prefer-offline --no-audit --no-fund >"$TMP/npm.log" 2>&1) \
    || fail "npm ci in tests/integration/upstash" "$(tail -5 "$TMP/npm.log")"
fi
start_daemon --threads 2 || { fail "daemon starts"; finish; exit 1; }

# helper_server MODE VAR: starts client_servers.py MODE and stores its port in VAR.
helper_server() {
  local mode=$1 var=$2 i
  $PY "$ROOT/tests/integration/client_servers.py" "$mode" >"$TMP/$mode.port" 2>"$TMP/$mode.err" &
  IT_PIDS+=("$!")
  for i in $(seq 1 100); do [ -s "$TMP/$mode.port" ] && break; sleep 0.05; done
  printf -v "$var" '%s' "$(head -1 "$TMP/$mode.port")"
  [ -n "${!var}" ] || { fail "$mode helper server starts" "$(cat "$TMP/$mode.err")"; return 1; }
}
helper_server silent SILENT_PORT || { finish; exit 1; }
helper_server blackhole BLACKHOLE_PORT || { finish; exit 1; }

echo "== client_it (doctest) against 127.0.0.1:$SC_PORT"
SC_PORT=$SC_PORT SC_HTTP_PORT=$SC_HTTP_PORT SC_UPSTASH_DIR=$UPSTASH_DIR SC_SILENT_PORT=$SILENT_PORT SC_BLACKHOLE_PORT=$BLACKHOLE_PORT SHARDCACHED=$SHARDCACHED \
  timeout 300 "$IT_BIN" --no-version >"$TMP/it.log" 2>&1
cat "$TMP/it.log"
# "[doctest] test cases: 22 | 21 passed | 1 failed | 0 skipped"
summary=$(awk '/test cases:/ { print $6 " passed, " $9 " failed" }' "$TMP/it.log" | tail -1)
if [ -n "$summary" ]; then add_counts "$summary"; else fail "client_it ran to its summary"; fi

echo "== install (meson install --destdir) and build the example against the installed copy"
DEST=$TMP/destdir
if meson install -C "$BUILD" --destdir "$DEST" --no-rebuild >"$TMP/install.log" 2>&1; then
  pass "meson install --destdir"
else
  fail "meson install --destdir" "$(tail -5 "$TMP/install.log")"
fi
PC=$(find "$DEST" -name shardcache.pc | head -1)
[ -n "$PC" ] && pass "pkg-config file installed" || fail "pkg-config file installed"
INC=$(find "$DEST" -path '*/include/shardcache/client.h' | head -1)
[ -n "$INC" ] && pass "headers installed" || fail "headers installed"
LIBDIR=$(dirname "$(find "$DEST" -name 'libshardcache.so' | head -1)")
# PKG_CONFIG_SYSROOT_DIR points the installed .pc's paths into the staging directory.
SC_FLAGS=$(PKG_CONFIG_PATH=$(dirname "$PC") PKG_CONFIG_SYSROOT_DIR=$DEST pkg-config --cflags --libs shardcache)
DEP_FLAGS=$(pkg-config --cflags --libs nlohmann_json spdlog)
case "$SC_FLAGS" in *"-I$DEST"*"-lshardcache"*) pass "pkg-config --cflags --libs shardcache: $SC_FLAGS" ;;
  *) fail "pkg-config flags" "[$SC_FLAGS]" ;; esac
EXE=$TMP/lms_example
# Only the installed headers are visible: the example's own directory, no repository include path.
if g++ -std=c++20 -O1 -Wall -Wextra -o "$EXE" "$ROOT/examples/lms/main.cpp" $SC_FLAGS $DEP_FLAGS >"$TMP/cc.log" 2>&1; then
  pass "example compiles and links against the installed library"
else
  fail "example compiles against the installed library" "$(head -20 "$TMP/cc.log")"
fi
if LD_LIBRARY_PATH=$LIBDIR ldd "$EXE" 2>/dev/null | grep -q "libshardcache.so.0 => $DEST"; then
  pass "the example loads the installed libshardcache"
else
  fail "the example loads the installed libshardcache" "$(LD_LIBRARY_PATH=$LIBDIR ldd "$EXE" 2>&1 | grep shardcache)"
fi

echo "== the example with the daemon"
LD_LIBRARY_PATH=$LIBDIR timeout 120 "$EXE" --port "$SC_PORT" --requests 400 --threads 4 >"$TMP/up.log" 2>&1
rc=$?
cat "$TMP/up.log"
expect_eq "example exits 0 with the daemon" "$rc" "0"
grep -q "cache: connected to 127.0.0.1:$SC_PORT (RESP3)" "$TMP/up.log" && pass "example connects with RESP3" || fail "example connects with RESP3"
ratio=$(sed -n 's/^cache: hit ratio \([0-9.]*\)%.*/\1/p' "$TMP/up.log")
if [ -n "$ratio" ] && awk "BEGIN { exit !($ratio >= 50) }"; then pass "example hit ratio ${ratio}% >= 50%"; else fail "example hit ratio" "[$ratio]"; fi
grep -q "^latency: avg" "$TMP/up.log" && pass "example prints latencies" || fail "example prints latencies"

echo "== the example with no daemon listening"
NOPORT=$(free_port)
start=$(date +%s%N)
LD_LIBRARY_PATH=$LIBDIR timeout 120 "$EXE" --port "$NOPORT" --requests 200 --threads 4 >"$TMP/down.log" 2>&1
rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$TMP/down.log"
expect_eq "example exits 0 with no daemon" "$rc" "0"
reads=$(sed -n 's/^requests: \([0-9]*\) reads.*/\1/p' "$TMP/down.log")
grep -q "^reads served by the database: $reads/$reads " "$TMP/down.log" && pass "every read served by the fake database ($reads/$reads)" \
  || fail "every read served by the fake database"
grep -q "^reads served from the cache: 0/$reads$" "$TMP/down.log" && pass "no read served from the cache" || fail "no read served from the cache"
[ "$(grep -c '\[Cache\] unavailable' "$TMP/down.log")" -eq 1 ] && pass "the outage is logged once" || fail "the outage is logged once" "$(grep -c unavailable "$TMP/down.log") lines"
[ "$elapsed_ms" -lt 20000 ] && pass "no-daemon run finishes in ${elapsed_ms} ms" || fail "no-daemon run too slow" "${elapsed_ms} ms"

echo "== the example rejects bad flags"
LD_LIBRARY_PATH=$LIBDIR "$EXE" --port notaport >"$TMP/bad.log" 2>&1
expect_eq "bad --port exits 2" "$?" "2"
grep -q "bad value 'notaport' for --port" "$TMP/bad.log" && pass "bad --port is explained" || fail "bad --port is explained"
finish
