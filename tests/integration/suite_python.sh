# tests/integration/suite_python.sh: the daemon driven by redis-py (Debian python3-redis, run
# with /usr/bin/python3): python/test_redis_py.py against a plain daemon and one with a password,
# and python/command_table_vs_redis.py comparing COMMAND/CLIENT replies with redis-server 7.0.15.
source "$(dirname "$0")/lib.sh"
start_daemon || { fail "daemon starts"; finish; exit 1; }
MAIN_PORT=$SC_PORT
start_daemon --requirepass it-py-secret || { fail "daemon with --requirepass starts"; finish; exit 1; }
AUTH_PORT=$SC_PORT
run_counted test_redis_py.py env SC_PORT=$MAIN_PORT SC_AUTH_PORT=$AUTH_PORT SC_PASSWORD=it-py-secret \
  timeout 120 "$PY" "$(dirname "$0")/python/test_redis_py.py"
# The command table's introspection against redis-server 7.0.15 (redis_reference.sh), reply for reply.
SHARDCACHED="$(dirname "$0")/redis_reference.sh" start_daemon || { fail "redis-server 7.0.15 starts"; finish; exit 1; }
REF_PORT=$SC_PORT
run_counted command_table_vs_redis.py env SC_PORT=$MAIN_PORT REF_PORT=$REF_PORT \
  timeout 60 "$PY" "$(dirname "$0")/python/command_table_vs_redis.py"
finish
