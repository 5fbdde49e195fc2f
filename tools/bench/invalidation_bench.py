#!/usr/bin/python3
"""tools/bench/invalidation_bench.py: shardcached INVALIDATE vs the SCAN MATCH + UNLINK loop.

Loads the same ~1M LMS-shaped keys (students, courses, dashboards, analytics) into redis-server
and shardcached, then removes course:{id}:* for courses holding 10, 1,000, 100,000 and 500,000
keys with: INVALIDATE on shardcached; the SCAN MATCH ... COUNT 1000 + UNLINK loop on redis-server
and on shardcached; and, for reference, a Lua KEYS + UNLINK on redis-server. Each run starts from
the full data set (the removed keys are written back after each measurement). While each one runs,
two other processes send GETs of unrelated keys on their own connections; the table reports the
p99 and the worst of those GETs. Speaks RESP itself (no client library needed).

Usage: invalidation_bench.py REDIS_PORT SHARDCACHED_PORT [--sizes 10,1000,100000,500000] [--keys 1000000]
"""
import argparse
import multiprocessing as mp
import random
import socket
import time

import resp_wire

VALUE = b'{"id":1,"title":"Intro to caching","updated":"2026-01-01T00:00:00Z","n":42}'


class Resp:
    """A tiny blocking RESP2 client: enough for SET/GET/SCAN/UNLINK/EVAL/INVALIDATE."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    encode = staticmethod(resp_wire.encode)

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self.buf += self.s.recv(1 << 20)

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.s.recv(1 << 20)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("bad reply " + repr(line))

    def call(self, *args):
        self.s.sendall(self.encode(*args))
        return self.read()

    def pipeline(self, commands):
        self.s.sendall(b"".join(self.encode(*c) for c in commands))
        return [self.read() for _ in commands]


# ---- the data set -------------------------------------------------------------------------

TARGETS = {10: 1001, 1000: 1002, 100000: 1003, 500000: 1004}


def course_keys(size):
    cid = TARGETS[size]
    if size <= 1000:
        return [b"course:%d:lesson:%d" % (cid, i) for i in range(size)]
    return [b"course:%d:progress:%d" % (cid, i) for i in range(size)]


def filler_keys(n):
    """Unrelated LMS keys: students, course details and lists, dashboards, analytics (course ids
    from 10000 up, so none falls under a target course:{1001..1004}:*)."""
    keys = []
    i = 0
    while len(keys) < n:
        kind = i % 8
        if kind < 3:
            keys.append(b"student:%d:%s" % (i // 8, (b"profile", b"dashboard", b"courses")[kind]))
        elif kind == 3:
            keys.append(b"course:%d" % (10000 + i // 8))
        elif kind == 4:
            keys.append(b"course:%d:students" % (10000 + i // 8))
        elif kind == 5:
            keys.append(b"dashboard:teacher:%d" % (i // 8))
        elif kind == 6:
            keys.append(b"analytics:revenue:day:%d" % (i // 8))
        else:
            keys.append(b"course:%d:stats" % (10000 + i // 8))
        i += 1
    return keys


def load(port, keys, batch=10000):
    c = Resp(port)
    for start in range(0, len(keys), batch):
        chunk = keys[start:start + batch]
        c.s.sendall(b"".join(c.encode(b"SET", k, VALUE) for k in chunk))
        for _ in chunk:
            c.read()
    c.s.close()


# ---- GET probes on other connections --------------------------------------------------------

def probe(port, keys, stop, ready, out):
    c = Resp(port)
    c.call("PING")
    rnd = random.Random(len(keys))
    samples = []
    ready.set()
    while not stop.is_set():
        k = keys[rnd.randrange(len(keys))]
        t0 = time.monotonic()
        c.call(b"GET", k)
        samples.append((t0, time.monotonic() - t0))
    out.put(samples)


def measured(port, probe_keys, fn):
    """Runs fn(conn) with two probe processes GETting; returns (result, ms, p99 ms, max ms, n)."""
    stop, q = mp.Event(), mp.Queue()
    readies = [mp.Event() for _ in range(2)]
    procs = [mp.Process(target=probe, args=(port, probe_keys, stop, r, q)) for r in readies]
    for p in procs:
        p.start()
    for r in readies:
        r.wait(10)
    c = Resp(port)  # opened after the probes: with 2 io threads one probe shares its thread
    c.call("PING")
    time.sleep(0.2)
    t0 = time.monotonic()
    result = fn(c)
    t1 = time.monotonic()
    time.sleep(0.05)
    stop.set()
    samples = []
    for _ in procs:
        samples += q.get()
    for p in procs:
        p.join()
    c.s.close()
    lat = sorted(l for (s, l) in samples if s < t1 and s + l > t0)  # GETs in flight during the call
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0.0
    worst = lat[-1] * 1000 if lat else 0.0
    return result, (t1 - t0) * 1000, p99, worst, len(lat)


# ---- the methods ------------------------------------------------------------------------------

def invalidate(pattern):
    return lambda c: c.call(b"INVALIDATE", pattern)


def scan_unlink(pattern):
    def run(c):
        cursor, removed = b"0", 0
        while True:
            cursor, keys = c.call(b"SCAN", cursor, b"MATCH", pattern, b"COUNT", b"1000")
            if keys:
                removed += c.call(b"UNLINK", *keys)
            if cursor == b"0":
                return removed
    return run


LUA = (b"local ks = redis.call('KEYS', ARGV[1]) local n = 0 "
       b"for i = 1, #ks, 5000 do n = n + redis.call('UNLINK', unpack(ks, i, math.min(i + 4999, #ks))) end "
       b"return n")


def lua_keys_unlink(pattern):
    return lambda c: c.call(b"EVAL", LUA, b"0", pattern)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("redis_port", type=int)
    ap.add_argument("sc_port", type=int)
    ap.add_argument("--sizes", default="10,1000,100000,500000")
    ap.add_argument("--keys", type=int, default=1000000)
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    courses = {s: course_keys(s) for s in sizes}
    filler = filler_keys(a.keys - sum(len(v) for v in courses.values()))
    servers = {"redis-server": a.redis_port, "shardcached": a.sc_port}
    for name, port in servers.items():
        t = time.monotonic()
        load(port, filler)
        for s in sizes:
            load(port, courses[s])
        print("loaded %d keys into %s in %.1f s (dbsize %d)"
              % (a.keys, name, time.monotonic() - t, Resp(port).call("DBSIZE")), flush=True)
    probe_keys = filler[::7]
    rows = []
    plan = [("shardcached", "INVALIDATE", invalidate), ("shardcached", "SCAN+UNLINK", scan_unlink),
            ("redis-server", "SCAN+UNLINK", scan_unlink), ("redis-server", "Lua KEYS+UNLINK", lua_keys_unlink)]
    for s in sizes:
        pattern = b"course:%d:*" % TARGETS[s]
        for server, method, make in plan:
            port = servers[server]
            removed, ms, p99, worst, n = measured(port, probe_keys, make(pattern))
            ok = "" if removed == s else " (removed %s!)" % removed
            rows.append((s, server, method, ms, p99, worst, n, ok))
            print("%7d  %-12s %-16s %10.1f ms   GET p99 %7.2f ms  max %7.2f ms  (%d GETs)%s"
                  % (s, server, method, ms, p99, worst, n, ok), flush=True)
            load(port, courses[s])  # back to the full data set
    print()
    print("| keys matching (of %d) | server | method | time (ms) | concurrent GET p99 (ms) | GET max (ms) | GETs during |" % a.keys)
    print("|---:|---|---|---:|---:|---:|---:|")
    for s, server, method, ms, p99, worst, n, ok in rows:
        print("| %d | %s | %s | %.1f%s | %.2f | %.2f | %d |" % (s, server, method, ms, ok, p99, worst, n))
    print()
    print("| keys matching | INVALIDATE vs Redis SCAN+UNLINK | INVALIDATE vs shardcached SCAN+UNLINK |")
    print("|---:|---:|---:|")
    for s in sizes:
        t = {(r[1], r[2]): r[3] for r in rows if r[0] == s}
        inv = t[("shardcached", "INVALIDATE")]
        print("| %d | %.0fx | %.0fx |" % (s, t[("redis-server", "SCAN+UNLINK")] / inv, t[("shardcached", "SCAN+UNLINK")] / inv))


if __name__ == "__main__":
    main()
