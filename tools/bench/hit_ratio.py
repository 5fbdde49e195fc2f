#!/usr/bin/python3
"""tools/bench/hit_ratio.py: trace-driven hit ratio of eviction policies, next to redis-server.

Builds one deterministic LMS-like trace and replays the same sequence, cache-aside (GET; on a
miss SET key value EX ttl), against a fresh redis-server (allkeys-lru) and a fresh shardcached
per policy, all with the same maxmemory, on free loopback ports. The trace:
  - K keys in four families with the LMS TTL classes: dashboards 5 min (1-8 KB values),
    courses 30 min (0.5-32 KB), profiles 30 min (200 B-2 KB), analytics 1 h (2-64 KB);
    value sizes log-uniform, fixed per key;
  - Zipf(alpha) popularity over a random permutation of the keys;
  - an hour of traffic compressed into --duration seconds (TTLs scaled alike); the replay
    follows the trace clock so TTLs expire the same way on every server.
Reports hit ratio (all requests, and after the first 20 % as warm-up), evictions, used_memory
and max RSS; writes JSON, and a PNG via gnuplot when --plot is given.
"""
import argparse
import bisect
import json
import math
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time

from resp_wire import encode, parse_info, rss_bytes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAMILIES = [  # name, share of keys, ttl seconds, min size, max size
    ("dash", 0.40, 300, 1000, 8000),
    ("course", 0.25, 1800, 500, 32000),
    ("profile", 0.30, 1800, 200, 2000),
    ("analytics", 0.05, 3600, 2000, 64000),
]


def build_trace(keys, requests, alpha, seed):
    rng = random.Random(seed)
    key_info = []
    for i in range(keys):
        r, acc = rng.random(), 0.0
        for name, share, ttl, lo, hi in FAMILIES:
            acc += share
            if r <= acc or name == FAMILIES[-1][0]:
                size = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
                key_info.append(("%s:%d" % (name, i), ttl, size))
                break
    weights = [1.0 / (rank ** alpha) for rank in range(1, keys + 1)]
    cdf, acc = [], 0.0
    for w in weights:
        acc += w
        cdf.append(acc)
    order = list(range(keys))
    rng.shuffle(order)  # popularity independent of family
    trace = []
    for _ in range(requests):
        rank = bisect.bisect_left(cdf, rng.random() * acc)
        trace.append(order[min(rank, keys - 1)])
    return key_info, trace


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.sock.makefile("rb", buffering=1 << 20)

    def send(self, cmds):
        self.sock.sendall(b"".join(cmds))

    def reply(self):
        line = self.f.readline()
        t, rest = line[:1], line[1:-2]
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if t == b"-":
            return RuntimeError(rest.decode())
        if t == b"*":
            return [self.reply() for _ in range(int(rest))]
        return rest

    def info(self, section):
        self.send([encode("INFO", section)])
        text = self.reply().decode()
        return parse_info(text)


def start_server(kind, policy, budget, port, log):
    if kind == "redis":
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--maxmemory", str(budget), "--maxmemory-policy", policy]
        marker = b"redis_version"
    else:
        argv = [os.environ.get("SHARDCACHED", os.path.join(ROOT, "build/daemon/shardcached")), "--bind", "127.0.0.1",
                "--port", str(port), "--http-port", "0", "--save", "", "--maxmemory", str(budget), "--maxmemory-policy", policy]
        marker = b"shardcache_version"
    proc = subprocess.Popen(argv, stdout=log, stderr=log)
    for _ in range(100):
        try:
            c = Conn(port)
            c.send([encode("INFO", "server")])
            text = c.reply()
            if marker in text and b"process_id:%d" % proc.pid in text:
                return proc, c
            raise RuntimeError("port %d answered by another process" % port)
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("%s did not start" % kind)


def replay(conn, pid, key_info, trace, duration, batch, blob):
    """Cache-aside replay paced by the trace clock; returns counters."""
    scale = duration / 3600.0
    n = len(trace)
    warm = n // 5
    hits = hits_warm = errors = 0
    max_rss = 0
    start = time.monotonic()
    late = 0.0
    for b0 in range(0, n, batch):
        due = start + duration * b0 / n
        now = time.monotonic()
        if now < due:
            time.sleep(due - now)
        else:
            late = max(late, now - due)
        ids = trace[b0:b0 + batch]
        conn.send([encode("GET", key_info[k][0]) for k in ids])
        sets = []
        for j, k in enumerate(ids):
            rep = conn.reply()
            if rep is not None and not isinstance(rep, RuntimeError):
                hits += 1
                hits_warm += b0 + j >= warm
            else:
                name, ttl, size = key_info[k]
                sets.append(encode("SET", name, blob[:size], "EX", max(1, int(round(ttl * scale)))))
        if sets:
            conn.send(sets)
            for _ in sets:
                errors += isinstance(conn.reply(), RuntimeError)
        if (b0 // batch) % 200 == 0:
            max_rss = max(max_rss, rss_bytes(pid))
    return {"hits": hits, "requests": n, "hit_ratio": hits / n, "hit_ratio_after_warmup": hits_warm / (n - warm),
            "max_rss": max(max_rss, rss_bytes(pid)), "max_lag_s": round(late, 2), "set_errors": errors}


def run_one(kind, policy, budget, key_info, trace, a, blob):
    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc, conn = start_server(kind, policy, budget, port, log)
        try:
            r = replay(conn, proc.pid, key_info, trace, a.duration, a.batch, blob)
            mem, stats, ks = conn.info("memory"), conn.info("stats"), conn.info("keyspace")
            r.update({"server": kind, "policy": policy, "budget": budget, "used_memory": int(mem["used_memory"]),
                      "evicted_keys": int(stats["evicted_keys"]), "expired_keys": int(stats["expired_keys"]),
                      "keys": int(ks.get("db0", "keys=0").split(",")[0].split("=")[1])})
            return r
        finally:
            proc.terminate()
            proc.wait(5)


def plot(results, path):
    if not shutil.which("gnuplot"):  # install the benchmark packages the way tools/test does
        setup = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib", "setup.sh")
        subprocess.run(["bash", "-c", 'source "$1" && sc_install_pkgs $SC_BENCH_PKGS', "_", setup], check=False)
    if not shutil.which("gnuplot"):
        print("gnuplot not found: no plot (apt-get install gnuplot-nox)")
        return
    budgets = sorted({r["budget"] for r in results})
    labels = []
    for r in results:
        lab = "redis %s" % r["policy"] if r["server"] == "redis" else "shardcached %s" % r["policy"]
        if lab not in labels:
            labels.append(lab)
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as d:
        d.write("budget " + " ".join('"%s"' % l for l in labels) + "\n")
        for b in budgets:
            row = ["%dMB" % (b >> 20)]
            for lab in labels:
                v = [r for r in results if r["budget"] == b and
                     ("redis %s" % r["policy"] if r["server"] == "redis" else "shardcached %s" % r["policy"]) == lab]
                row.append("%.4f" % (100 * v[0]["hit_ratio_after_warmup"]) if v else "?")
            d.write(" ".join(row) + "\n")
        dat = d.name
    script = """set terminal pngcairo size 900,520 font ',11'
set output '%s'
set title 'LMS trace: hit ratio after warm-up at the same maxmemory'
set ylabel 'hit ratio (%%)'
set xlabel 'maxmemory'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key top left
set grid ytics
set yrange [0:100]
plot for [i=2:%d] '%s' using i:xtic(1) title columnheader(i)
""" % (path, len(labels) + 1, dat)
    try:
        subprocess.run(["gnuplot"], input=script.encode(), check=True)
    except subprocess.CalledProcessError:
        script = script.replace("pngcairo", "png")
        subprocess.run(["gnuplot"], input=script.encode(), check=True)
    os.unlink(dat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=100000)
    ap.add_argument("--requests", type=int, default=600000)
    ap.add_argument("--alpha", type=float, default=0.9)
    ap.add_argument("--duration", type=float, default=40, help="seconds one hour of traffic is replayed in")
    ap.add_argument("--budgets", default="32mb,64mb")
    ap.add_argument("--policies", default="allkeys-lru,allkeys-sieve,allkeys-random")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", default="/tmp/hit_ratio.json")
    ap.add_argument("--plot", default="")
    ap.add_argument("--plot-only", action="store_true", help="redraw --plot from --json without running")
    a = ap.parse_args()
    if a.plot_only:
        with open(a.json) as f:
            plot(json.load(f), a.plot)
        return
    key_info, trace = build_trace(a.keys, a.requests, a.alpha, a.seed)
    universe = sum(s for _, _, s in key_info)
    print("trace: %d keys (%.0f MB of values), %d requests, zipf %.2f, 1 h in %.0f s" %
          (a.keys, universe / 2**20, a.requests, a.alpha, a.duration))
    blob = bytes(random.Random(1).getrandbits(8) for _ in range(70000))
    results = []
    for b in a.budgets.split(","):
        budget = int(b[:-2]) << 20 if b.lower().endswith("mb") else int(b)
        runs = [("redis", "allkeys-lru")] + [("shardcached", p) for p in a.policies.split(",")]
        for kind, policy in runs:
            r = run_one(kind, policy, budget, key_info, trace, a, blob)
            results.append(r)
            print("%-12s %-15s %4d MB  hit %.2f%%  (after warm-up %.2f%%)  evicted %7d  keys %6d  used %6.1f MB  "
                  "max RSS %6.1f MB  lag %.2fs  SET errors %d" % (kind, policy, budget >> 20, 100 * r["hit_ratio"],
                  100 * r["hit_ratio_after_warmup"], r["evicted_keys"], r["keys"], r["used_memory"] / 2**20,
                  r["max_rss"] / 2**20, r["max_lag_s"], r["set_errors"]), flush=True)
    with open(a.json, "w") as f:
        json.dump(results, f, indent=1)
    if a.plot:
        plot(results, a.plot)


if __name__ == "__main__":
    main()
