#!/usr/bin/python3
"""tests/integration/upstash/metrics_check.py: parses GET /metrics with the Prometheus client
library's own parser (Debian python3-prometheus-client) and checks that it agrees with INFO.

Usage: metrics_check.py RESP_PORT HTTP_PORT PASSWORD. Prints ok/FAIL lines and "N passed, N failed".
"""
import os
import sys
import urllib.request

import redis
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, summary  # noqa: E402  (tests/integration/checks.py)



def main():
    resp_port, http_port, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    r = redis.Redis(host="127.0.0.1", port=resp_port, password=password or None, socket_timeout=5)
    r.set("metrics:a", "1")
    r.get("metrics:a")
    r.get("metrics:missing")
    info = r.info()  # RESP: INFO everything; nothing else runs between it and the scrape
    req = urllib.request.Request(f"http://127.0.0.1:{http_port}/metrics", headers={"Authorization": "Bearer " + password})
    with urllib.request.urlopen(req, timeout=5) as resp:
        ctype = resp.headers["Content-Type"]
        text = resp.read().decode()
    check("content type is the 0.0.4 text format", ctype.startswith("text/plain; version=0.0.4"), ctype)

    families = {f.name: f for f in text_string_to_metric_families(text)}
    check("exposition parses into families", len(families) > 10, str(len(families)))

    def value(family, sample=None, **labels):
        f = families[family]
        for s in f.samples:
            if (sample is None or s.name == sample) and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
        raise KeyError(f"{family} {labels}")

    # Counters are exposed with _total; the parser strips it from the family name.
    for fam in ["shardcache_commands", "shardcache_keyspace_hits", "shardcache_keyspace_misses",
                "shardcache_expired_keys", "shardcache_evicted_keys", "shardcache_http_requests",
                "shardcache_commands_processed"]:
        check(f"{fam}_total is a counter", fam in families and families[fam].type == "counter",
              families.get(fam) and families[fam].type)
    for fam in ["shardcache_used_memory_bytes", "shardcache_maxmemory_bytes", "shardcache_keys",
                "shardcache_connected_clients", "shardcache_process_resident_memory_bytes"]:
        check(f"{fam} is a gauge", fam in families and families[fam].type == "gauge")

    check("INFO and /metrics agree: keyspace_hits", value("shardcache_keyspace_hits") == info["keyspace_hits"],
          f'{value("shardcache_keyspace_hits")} vs {info["keyspace_hits"]}')
    check("INFO and /metrics agree: keyspace_misses", value("shardcache_keyspace_misses") == info["keyspace_misses"])
    check("INFO and /metrics agree: total_commands_processed",
          value("shardcache_commands_processed") == info["total_commands_processed"],
          f'{value("shardcache_commands_processed")} vs {info["total_commands_processed"]}')
    check("INFO and /metrics agree: expired_keys", value("shardcache_expired_keys") == info["expired_keys"])
    check("INFO and /metrics agree: evicted_keys", value("shardcache_evicted_keys") == info["evicted_keys"])
    check("INFO and /metrics agree: used_memory", value("shardcache_used_memory_bytes") == info["used_memory"])
    check("INFO and /metrics agree: maxmemory", value("shardcache_maxmemory_bytes") == info["maxmemory"])
    check("INFO and /metrics agree: keys", value("shardcache_keys") == info["db0"]["keys"])
    check("RSS is reported", value("shardcache_process_resident_memory_bytes") > 1024 * 1024)

    h = families["shardcache_command_duration_seconds"]
    check("command latency is a histogram", h.type == "histogram")
    cmds = {s.labels["cmd"] for s in h.samples}
    check("histogram per command (not per family)", {"get", "set", "info"} <= cmds, str(cmds))
    counts = {s.labels["cmd"]: s.value for s in h.samples if s.name.endswith("_count")}
    for cmd in sorted(cmds):
        buckets = [(float(s.labels["le"]), s.value) for s in h.samples
                   if s.name.endswith("_bucket") and s.labels["cmd"] == cmd]
        values = [v for _, v in sorted(buckets)]
        ok = values == sorted(values) and values[-1] == counts[cmd] and sorted(buckets)[-1][0] == float("inf")
        check(f"histogram {cmd}: cumulative buckets ending at +Inf == _count", ok, str(buckets))
    check("histogram count for get == its command count", counts.get("get") == value("shardcache_commands", cmd="get"))
    for fam, typ in [("process_cpu_seconds", "counter"), ("process_resident_memory_bytes", "gauge"),
                     ("process_start_time_seconds", "gauge"), ("process_open_fds", "gauge"),
                     ("process_max_fds", "gauge")]:
        check(f"{fam} is a {typ}", fam in families and families[fam].type == typ, families.get(fam) and families[fam].type)
    check("process_open_fds <= process_max_fds", 0 < value("process_open_fds") <= value("process_max_fds"))
    check("process_cpu_seconds_total > 0", value("process_cpu_seconds") > 0)
    per_cmd = sum(s.value for s in families["shardcache_commands"].samples)
    check("per-command counts add up to commands processed", per_cmd == value("shardcache_commands_processed"),
          f"{per_cmd}")
    check("per-command count for get", value("shardcache_commands", cmd="get") >= 2)
    check("REST requests by status", value("shardcache_http_requests", code="200") > 0)

    return summary()


if __name__ == "__main__":
    sys.exit(main())
