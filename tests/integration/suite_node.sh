# tests/integration/suite_node.sh: the daemon driven by Node.js clients, each in its newest major
# and the one(s) before: ioredis 6 and 5, node-redis 6 (HELLO 3, RESP3), 5 and 4. The packages
# are pinned by node/package-lock.json and installed with `npm ci` when node_modules is missing
# or older than the lockfile. Runs node's built-in test runner and converts its TAP summary.
source "$(dirname "$0")/lib.sh"
NODE_DIR="$(cd "$(dirname "$0")/node" && pwd)"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  fail "node and npm are installed (Node.js 20 comes with the machine)"; finish; exit 1
fi
if [ ! -d "$NODE_DIR/node_modules" ] || [ "$NODE_DIR/package-lock.json" -nt "$NODE_DIR/node_modules/.package-lock.json" ]; then
  echo "npm ci in $NODE_DIR"
  if ! (cd "$NODE_DIR" && timeout 300 npm ci --prefer-offline --no-audit --no-fund); then
    fail "npm ci installs the pinned clients"; finish; exit 1
  fi
fi

start_daemon || { fail "daemon starts"; finish; exit 1; }
out=$(cd "$NODE_DIR" && SC_PORT=$SC_PORT timeout 180 node --test --test-reporter=tap --test-force-exit \
      ioredis.test.js node_redis.test.js 2>&1)
rc=$?
echo "$out"
npass=$(echo "$out" | sed -nE 's/^# pass ([0-9]+)$/\1/p' | tail -1)
nfail=$(echo "$out" | sed -nE 's/^# fail ([0-9]+)$/\1/p' | tail -1)
ncancel=$(echo "$out" | sed -nE 's/^# cancelled ([0-9]+)$/\1/p' | tail -1)
if [ -z "$npass" ] || [ -z "$nfail" ]; then
  fail "node --test printed its summary" "exit code $rc"
else
  add_counts "$npass passed, $((nfail + ${ncancel:-0})) failed"
  [ "$rc" -eq 0 ] || [ "$nfail" -gt 0 ] || fail "node --test exit code" "$rc"
fi
kill -0 "$SC_PID" 2>/dev/null && pass "daemon still running at the end" || fail "daemon still running at the end"
finish
