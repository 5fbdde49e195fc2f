# tests/integration/suite_dashboard.sh: the dashboard in a real browser (Debian's chromium driven by
# puppeteer-core, tests/integration/dashboard/dashboard_check.mjs): the page loads with no
# console errors and no request off the daemon, its cards and key-family table show what the
# daemon reports, its charts draw points that move while load runs, it follows the browser's
# dark theme and fits a phone; with requirepass it asks for the token, refuses a wrong one and
# opens with the right one. Screenshots (light and dark, desktop and phone) are saved under
# <build dir>/test-artifacts/dashboard/. Also: the JSON endpoints and /metrics under requirepass,
# with and without --metrics-open, and INFO keyfamilies against /metrics.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
DASH_DIR="$HERE/dashboard"
ARTIFACTS="$(cd "$(dirname "$SHARDCACHED")/.." && pwd)/test-artifacts/dashboard"
TOKEN="sc-dash-$$-$RANDOM"

if [ ! -x /usr/bin/chromium ]; then
  fail "Debian's chromium is installed (tools/lib/setup.sh SC_TEST_PKGS)"; finish; exit 1
fi
if [ ! -d "$DASH_DIR/node_modules/puppeteer-core" ] || [ "$DASH_DIR/package-lock.json" -nt "$DASH_DIR/node_modules/.package-lock.json" ]; then
  npm_log=$(mktemp /tmp/shardcache-npm.XXXXXX.log)
  if ! (cd "$DASH_DIR" && PUPPETEER_SKIP_DOWNLOAD=1 timeout 300 npm ci --prefer-offline --no-audit --no-fund >"$npm_log" 2>&1); then
    tail -20 "$npm_log"; fail "npm ci in tests/integration/dashboard"; finish; exit 1
  fi
  rm -f "$npm_log"
fi
pass "puppeteer-core $(node -p 'require("'"$DASH_DIR"'/node_modules/puppeteer-core/package.json").version') installed"
rm -rf "$ARTIFACTS"; mkdir -p "$ARTIFACTS"

cli() { timeout 10 redis-cli -p "$SC_PORT" "$@" 2>/dev/null; }
http_status() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$@"; }
# fill N: course:<12 digits> 0..N/2-1 (redis-benchmark's __rand_int__ form), student:1..N/4, the rest
# without ':' (family "(none)"), then some lookups.
fill() {
  local n=$1 i
  {
    for i in $(seq 0 $((n / 2 - 1))); do printf 'SET course:%012d course-%d-payload-0123456789\n' "$i" "$i"; done
    for i in $(seq 1 $((n / 4))); do echo "SET student:$i student-$i"; done
    for i in $(seq 1 $((n - n / 2 - n / 4))); do echo "SET plain$i x"; done
    for i in $(seq 0 299); do printf 'GET course:%012d\n' "$i"; done
    for i in $(seq 1 100); do echo "GET course:missing$i"; done
  } | timeout 30 redis-cli -p "$SC_PORT" >/dev/null
}

# --- no requirepass: the page, its figures, moving charts, themes, phone width
start_daemon --maxmemory 64mb || { fail "daemon starts"; finish; exit 1; }
wait_port "$SC_HTTP_PORT" || { fail "HTTP listens"; finish; exit 1; }
cli config set slowlog-log-slower-than 0 >/dev/null  # every command goes to the slow log
fill 1234
expect_eq "DBSIZE after filling" "$(cli dbsize)" "1234"

# INFO keyfamilies and /metrics agree on the families.
info=$(cli info keyfamilies | tr -d '\r')
expect_eq "INFO keyfamilies: course" "$(echo "$info" | grep '^course:' | grep -o 'keys=[0-9]*,memory=[0-9]*,hits=[0-9]*,misses=[0-9]*,sets=[0-9]*' | sed 's/memory=[0-9]*/memory=M/')" \
  "keys=617,memory=M,hits=300,misses=100,sets=617"
expect_eq "INFO keyfamilies: (none) holds the keys without ':'" "$(echo "$info" | grep -o '^(none):keys=[0-9]*')" "(none):keys=309"
cli info | grep -q '^# Keyfamilies' && fail "INFO (default) leaves keyfamilies out" || pass "INFO (default) leaves keyfamilies out"
cli info everything | grep -q '^# Keyfamilies' && pass "INFO everything has # Keyfamilies" || fail "INFO everything has # Keyfamilies"
metrics=$(curl -s -m 5 "http://127.0.0.1:$SC_HTTP_PORT/metrics")
expect_eq "/metrics family label: keys" "$(echo "$metrics" | grep '^shardcache_family_keys{family="course"}')" 'shardcache_family_keys{family="course"} 617'
expect_eq "/metrics family label: hits" "$(echo "$metrics" | grep '^shardcache_family_hits_total{family="course"}')" 'shardcache_family_hits_total{family="course"} 300'
mem_info=$(echo "$info" | grep '^student:' | grep -o 'memory=[0-9]*' | cut -d= -f2)
expect_eq "/metrics and INFO agree on a family's memory" "$(echo "$metrics" | grep '^shardcache_family_memory_bytes{family="student"}' | cut -d' ' -f2)" "$mem_info"
if echo "$metrics" | $PY -c 'import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(sys.stdin.read())}
assert any(s.labels.get("family") == "course" for s in fams["shardcache_family_keys"].samples)' 2>/dev/null; then
  pass "/metrics with family labels passes the Prometheus parser"
else
  fail "/metrics with family labels passes the Prometheus parser"
fi
state=$(curl -s -m 5 "http://127.0.0.1:$SC_HTTP_PORT/dashboard/state")
expect_eq "/dashboard/state keys" "$(echo "$state" | $PY -c 'import json,sys; print(json.load(sys.stdin)["keys"])')" "1234"
sleep 2.2  # two cron samples: the ring has a point
hist_n=$(curl -s -m 5 "http://127.0.0.1:$SC_HTTP_PORT/dashboard/history" | $PY -c 'import json,sys; h=json.load(sys.stdin); print(len(h["t"]) if all(len(v)==len(h["t"]) for k,v in h.items() if isinstance(v,list)) else -1)')
[ "$hist_n" -ge 1 ] 2>/dev/null && pass "/dashboard/history: columns of one length, $hist_n points" || fail "/dashboard/history columns" "$hist_n"

# The browser checks the figures, then starts redis-benchmark itself (GET/SET, at most 60 s)
# and watches the charts move.
out=$(cd "$DASH_DIR" && timeout 180 node dashboard_check.mjs open "http://127.0.0.1:$SC_HTTP_PORT/" "$(cli dbsize)" course 617 "$ARTIFACTS" "$SC_PORT" 2>&1)
echo "$out" | grep -E '^(ok|FAIL) ' | sed 's/^/  browser: /'
line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
if [ -n "$line" ]; then add_counts "$line"; else fail "dashboard_check.mjs open ran" "$(echo "$out" | tail -20)"; fi
stop_daemon

# --- requirepass: the token prompt, a wrong token, the right one; /metrics and --metrics-open
start_daemon --requirepass "$TOKEN" || { fail "daemon starts with --requirepass"; finish; exit 1; }
wait_port "$SC_HTTP_PORT"
cli -a "$TOKEN" --no-auth-warning set course:1 x >/dev/null
cli -a "$TOKEN" --no-auth-warning set course:2 x >/dev/null
base="http://127.0.0.1:$SC_HTTP_PORT"
expect_eq "page / is served without the token (it holds no data)" "$(http_status "$base/")" "200"
expect_eq "/dashboard/state without the token: 401" "$(http_status "$base/dashboard/state")" "401"
expect_eq "/dashboard/history with a wrong token: 401" "$(http_status -H "Authorization: Bearer nope" "$base/dashboard/history")" "401"
expect_eq "401 body is Upstash's JSON error" "$(curl -s -m 5 "$base/dashboard/state")" '{"error":"Unauthorized"}'
expect_eq "/dashboard/state with the token: 200" "$(http_status -H "Authorization: Bearer $TOKEN" "$base/dashboard/state")" "200"
expect_eq "/metrics without the token: 401" "$(http_status "$base/metrics")" "401"
expect_eq "/metrics with the token: 200" "$(http_status -H "Authorization: Bearer $TOKEN" "$base/metrics")" "200"
expect_eq "/healthz stays open" "$(http_status "$base/healthz")" "200"
expect_eq "/dashboard/state does not show the password" \
  "$(curl -s -m 5 -H "Authorization: Bearer $TOKEN" "$base/dashboard/state" | $PY -c 'import json,sys; print(json.load(sys.stdin)["settings"]["requirepass"])')" "(set)"
out=$(cd "$DASH_DIR" && timeout 120 node dashboard_check.mjs token "$base/" 2 "$TOKEN" "$ARTIFACTS" 2>&1)
echo "$out" | grep -E '^(ok|FAIL) ' | sed 's/^/  browser: /'
line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
if [ -n "$line" ]; then add_counts "$line"; else fail "dashboard_check.mjs token ran" "$(echo "$out" | tail -20)"; fi
cli -a "$TOKEN" --no-auth-warning config set metrics-open yes >/dev/null
expect_eq "CONFIG SET metrics-open yes: /metrics without the token" "$(http_status "$base/metrics")" "200"
expect_eq "metrics-open leaves the dashboard's data closed" "$(http_status "$base/dashboard/state")" "401"
stop_daemon

start_daemon --requirepass "$TOKEN" --metrics-open || { fail "daemon starts with --metrics-open"; finish; exit 1; }
wait_port "$SC_HTTP_PORT"
expect_eq "--metrics-open: /metrics without the token" "$(http_status "http://127.0.0.1:$SC_HTTP_PORT/metrics")" "200"
expect_eq "--metrics-open shows in CONFIG GET" "$(cli -a "$TOKEN" --no-auth-warning config get metrics-open | tail -1)" "yes"
stop_daemon

ls "$ARTIFACTS"/*.png >/dev/null 2>&1 && echo "  screenshots: $ARTIFACTS"
finish
