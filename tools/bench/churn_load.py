#!/usr/bin/python3
"""tools/bench/churn_load.py: pipelined overwrite load for the RSS churn test (loopback only).

Keeps SETting random keys from a fixed key space with values of log-uniform random sizes
(default 50 B .. 64 KB) for a bounded time, while sampling the server's RSS from
/proc/<pid>/status and used_memory from INFO. Prints one JSON object with the results.
Works against shardcached and redis-server alike.
"""
import argparse
import json
import math
import random
import socket
import time

from resp_wire import encode, parse_info, rss_bytes


def read_reply(f):
    """Reads one RESP reply from a buffered socket file; returns bytes/int/list/None."""
    line = f.readline()
    if not line:
        raise ConnectionError("server closed the connection")
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b"-"):
        return (t + rest).decode()
    if t == b":":
        return int(rest)
    if t in (b"$", b"="):
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if t in (b"*", b"%", b"~"):
        n = int(rest)
        if n < 0:
            return None
        return [read_reply(f) for _ in range(n * (2 if t == b"%" else 1))]
    raise ValueError("bad reply type %r" % line)


def info_fields(sock, f, section):
    sock.sendall(encode("INFO", section))
    text = read_reply(f)
    return parse_info(text.decode() if isinstance(text, bytes) else text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True, help="server pid (RSS from /proc)")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--keys", type=int, default=50000)
    ap.add_argument("--min-size", type=int, default=50)
    ap.add_argument("--max-size", type=int, default=65536)
    ap.add_argument("--pipeline", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ttl-fraction", type=float, default=0.0, help="share of SETs with EX 3600")
    ap.add_argument("--sample-interval", type=float, default=0.25)
    a = ap.parse_args()

    rng = random.Random(a.seed)
    blob = bytes(rng.getrandbits(8) for _ in range(a.max_size))
    lo, hi = math.log(a.min_size), math.log(a.max_size)
    data = socket.create_connection(("127.0.0.1", a.port))
    data.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    df = data.makefile("rb", buffering=1 << 20)
    ctl = socket.create_connection(("127.0.0.1", a.port))
    cf = ctl.makefile("rb")

    start = time.monotonic()
    deadline = start + a.seconds
    next_sample = start
    sets = errors = bytes_sent = 0
    max_rss = max_used = 0
    samples = []
    last_err = ""
    while True:
        now = time.monotonic()
        if now >= next_sample:
            rss = rss_bytes(a.pid)
            used = int(info_fields(ctl, cf, "memory").get("used_memory", 0))
            max_rss, max_used = max(max_rss, rss), max(max_used, used)
            samples.append((round(now - start, 2), rss, used))
            next_sample = now + a.sample_interval
        if now >= deadline:
            break
        batch = []
        for _ in range(a.pipeline):
            n = int(math.exp(rng.uniform(lo, hi)))
            key = "churn:%d" % rng.randrange(a.keys)
            off = rng.randrange(a.max_size - n + 1)
            if rng.random() < a.ttl_fraction:
                batch.append(encode("SET", key, blob[off:off + n], "EX", "3600"))
            else:
                batch.append(encode("SET", key, blob[off:off + n]))
            bytes_sent += n
        data.sendall(b"".join(batch))
        for _ in batch:
            r = read_reply(df)
            if isinstance(r, str) and r.startswith("-"):
                errors += 1
                last_err = r
        sets += len(batch)

    stats = info_fields(ctl, cf, "stats")
    mem = info_fields(ctl, cf, "memory")
    keyspace = info_fields(ctl, cf, "keyspace")
    print(json.dumps({
        "seconds": round(time.monotonic() - start, 1),
        "sets": sets,
        "errors": errors,
        "last_error": last_err,
        "value_mb_written": round(bytes_sent / 2**20, 1),
        "max_rss": max_rss,
        "max_used_memory": max_used,
        "final_rss": rss_bytes(a.pid),
        "final_used_memory": int(mem.get("used_memory", 0)),
        "maxmemory": int(mem.get("maxmemory", 0)),
        "evicted_keys": int(stats.get("evicted_keys", 0)),
        "keys": keyspace.get("db0", ""),
        "mem_fragmentation_ratio": mem.get("mem_fragmentation_ratio", ""),
        "allocator_resident": int(mem.get("allocator_resident", 0) or 0),
        "samples": samples[:: max(1, len(samples) // 40)],
    }))


if __name__ == "__main__":
    main()
