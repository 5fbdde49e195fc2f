# tests/integration/suite_python.sh: the daemon driven by redis-py (Debian python3-redis, run
# with /usr/bin/python3): python/test_redis_py.py against a plain daemon and one with a password.
source "$(dirname "$0")/lib.sh"
start_daemon || { fail "daemon starts"; finish; exit 1; }
MAIN_PORT=$SC_PORT
start_daemon --requirepass it-py-secret || { fail "daemon with --requirepass starts"; finish; exit 1; }
AUTH_PORT=$SC_PORT
out=$(SC_PORT=$MAIN_PORT SC_AUTH_PORT=$AUTH_PORT SC_PASSWORD=it-py-secret \
      timeout 120 "$PY" "$(dirname "$0")/python/test_redis_py.py" 2>&1)
echo "$out" | sed -E 's/^([0-9]+ passed, [0-9]+ failed)$/test_redis_py.py: \1/'
line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
if [ -n "$line" ]; then add_counts "$line"; else fail "test_redis_py.py ran to the end"; fi
finish
