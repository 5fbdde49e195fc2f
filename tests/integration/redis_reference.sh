#!/usr/bin/env bash
# tests/integration/redis_reference.sh: stands in for shardcached and runs the real redis-server
# (Debian 7.0.15) with the same loopback flags, so any suite can be pointed at Redis itself to
# check that what it expects is what Redis does:
#   SHARDCACHED=$PWD/tests/integration/redis_reference.sh bash tests/integration/suite_rediscli.sh
# Flags Redis lacks (--http-port, --threads, --shards, ...) are dropped. Not run by tools/test;
# the checks that differ on purpose are listed in docs/testing.md.
args=(--save '' --appendonly no)
while [ $# -gt 0 ]; do
  case $1 in
    --bind|--port|--requirepass|--maxclients|--maxmemory|--maxmemory-policy|--proto-max-bulk-len)
      args+=("$1" "$2"); shift 2 ;;
    --*) if [ $# -gt 1 ] && [[ $2 != --* ]]; then shift 2; else shift; fi ;;
    *) shift ;;
  esac
done
exec redis-server "${args[@]}"
