# tests/integration/near_cache.sh: libshardcache's near cache against a real server with CLIENT
# TRACKING. Runs tests/client_it/near_it, which starts the server itself: NEAR_TARGET=redis
# (redis-server from PATH) or NEAR_TARGET=shardcached (SHARDCACHED, the default target).
# Not named suite_*.sh: tools/test runs it explicitly with the target it chooses (see there).
# Usage: SHARDCACHED=build-test/daemon/shardcached NEAR_TARGET=redis bash tests/integration/near_cache.sh
source "$(dirname "$0")/lib.sh"
NEAR_TARGET=${NEAR_TARGET:-shardcached}
BUILD=$(cd "$(dirname "$SHARDCACHED")/.." && pwd)   # the build directory holding the daemon
IT_BIN=$BUILD/tests/client_it/near_it
TMP=$(mktemp -d /tmp/shardcache-near-it.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

if [ ! -x "$IT_BIN" ]; then
  fail "near_it is built" "missing $IT_BIN"
  finish; exit 1
fi
case "$NEAR_TARGET" in
  redis) command -v "${REDIS_SERVER:-redis-server}" >/dev/null || { fail "redis-server is installed"; finish; exit 1; } ;;
  shardcached) [ -x "$SHARDCACHED" ] || { fail "shardcached is built" "missing $SHARDCACHED"; finish; exit 1; } ;;
  *) fail "NEAR_TARGET is redis or shardcached" "got [$NEAR_TARGET]"; finish; exit 1 ;;
esac

echo "== near_it (doctest) against $NEAR_TARGET"
# The stale window: how long after a write's reply the previous value may still be served,
# while the server's invalidation push is on its way to the reader's socket (near_it.cpp).
NEAR_TARGET=$NEAR_TARGET SHARDCACHED=$SHARDCACHED NEAR_STALE_WINDOW_US=${NEAR_STALE_WINDOW_US:-20000} \
  timeout 300 "$IT_BIN" --no-version >"$TMP/it.log" 2>&1
cat "$TMP/it.log"
summary=$(awk '/test cases:/ { print $6 " passed, " $9 " failed" }' "$TMP/it.log" | tail -1)
if [ -n "$summary" ]; then add_counts "$summary"; else fail "near_it ran to its summary"; fi
finish
