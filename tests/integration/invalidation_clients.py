#!/usr/bin/python3
"""tests/integration/invalidation_clients.py: redis-py on several connections against a running
shardcached (port in argv[1]): concurrent writers during a large INVALIDATE / INVALIDATETAG, the
ordering guarantee, pipelined commands behind a stepped INVALIDATE, a client that disconnects
mid-call, and other clients' latency meanwhile. Prints "ok/FAIL" lines and "N passed, N failed"."""
import socket
import sys
import threading
import time

import redis

from checks import check, summary

PORT = int(sys.argv[1])


def conn():
    return redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=20, decode_responses=True)


def load(r, fmt, n, tags=None, batch=5000):
    for start in range(0, n, batch):
        p = r.pipeline(transaction=False)
        for i in range(start, min(n, start + batch)):
            if tags:
                p.execute_command("SET", fmt % i, "v", "TAGS", *tags)
            else:
                p.set(fmt % i, "v")
        p.execute()


def writers_during(call, key_fmt, tags, n_writers=3, seconds_cap=30):
    """Runs `call` on its own connection while writers SET key_fmt keys; returns
    (reply, completed-before-call per writer, all written per writer, keep-keys per writer)."""
    stop = threading.Event()
    done = [0] * n_writers
    started = threading.Event()

    def writer(w):
        r = conn()
        i = 0
        t_end = time.time() + seconds_cap
        while not stop.is_set() and time.time() < t_end:
            args = ["SET", key_fmt % (w, i), "new"] + (["TAGS"] + tags if tags else [])
            r.execute_command(*args)
            r.set("keep:%d:%d" % (w, i), "v")
            i += 1
            done[w] = i
            if i == 200:
                started.set()

    ts = [threading.Thread(target=writer, args=(w,)) for w in range(n_writers)]
    for t in ts:
        t.start()
    started.wait(10)
    snap = list(done)
    reply = call(conn())
    stop.set()
    for t in ts:
        t.join()
    return reply, snap, list(done)


def latency_during(call, seconds_cap=30):
    """Max and p99 GET latency (ms) on two other connections while `call` runs."""
    stop = threading.Event()
    lat = []

    def reader():
        r = conn()
        r.ping()
        while not stop.is_set():
            t0 = time.perf_counter()
            r.get("keep:0:0")
            lat.append((time.perf_counter() - t0) * 1000)

    ts = [threading.Thread(target=reader) for _ in range(2)]
    for t in ts:
        t.start()
    time.sleep(0.2)
    t0 = time.perf_counter()
    reply = call(conn())
    elapsed = (time.perf_counter() - t0) * 1000
    stop.set()
    for t in ts:
        t.join()
    lat.sort()
    p99 = lat[int(len(lat) * 0.99)] if lat else 0
    return reply, elapsed, p99, (lat[-1] if lat else 0), len(lat)


def test_prefix_with_writers():
    r = conn()
    r.flushall()
    load(r, "course:1:old:%d", 150000)
    load(r, "course:2:%d", 1000)
    reply, snap, written = writers_during(lambda c: c.execute_command("INVALIDATE", "course:1:*"),
                                          "course:1:w%d:%d", None)
    check("INVALIDATE course:1:* removes every old key and the writes before it (%d)" % reply,
          reply >= 150000 + sum(snap), "reply %d, snap %s" % (reply, snap))
    check("... and not more than existed", reply <= 150000 + sum(written))
    stale = [w for w in range(len(snap)) if snap[w] and r.exists("course:1:w%d:%d" % (w, snap[w] - 1))]
    check("no key written before the call survives it", not stale, str(stale))
    check("no old key survives", r.execute_command("INVALIDATE", "course:1:old:*") == 0)
    left = len(r.keys("course:1:w*"))
    check("writes during/after the call are either removed or survive, never counted twice",
          reply - 150000 + left == sum(written), "reply %d left %d written %d" % (reply, left, sum(written)))
    keep = sum(written)
    check("unrelated keys all present", len(r.keys("keep:*")) == keep and len(r.keys("course:2:*")) == 1000)


def test_tag_with_writers():
    r = conn()
    r.flushall()
    load(r, "dash:old:%d", 60000, tags=["course:42", "course:7"])
    load(r, "dash:other:%d", 500, tags=["course:7"])
    reply, snap, written = writers_during(lambda c: c.execute_command("INVALIDATETAG", "course:42"),
                                          "dash:w%d:%d", ["course:42"])
    check("INVALIDATETAG removes the tagged keys written before it (%d)" % reply, reply >= 60000 + sum(snap))
    stale = [w for w in range(len(snap)) if snap[w] and r.exists("dash:w%d:%d" % (w, snap[w] - 1))]
    check("no tagged key written before the call survives it", not stale, str(stale))
    left = len(r.keys("dash:w*"))
    check("tagged writes counted once", reply - 60000 + left == sum(written))
    check("keys with other tags untouched", len(r.keys("dash:other:*")) == 500)
    check("their tags still work", r.execute_command("INVALIDATETAG", "course:7") == 500)


def test_latency_and_pipeline():
    r = conn()
    r.flushall()
    r.set("keep:0:0", "v")
    load(r, "course:9:%d", 200000)
    reply, ms, p99, worst, n = latency_during(lambda c: c.execute_command("INVALIDATE", "course:9:*"))
    print("     INVALIDATE of 200k keys: %.1f ms; other clients' GET p99 %.2f ms, max %.2f ms over %d GETs"
          % (ms, p99, worst, n))
    check("large INVALIDATE reply", reply == 200000)
    check("other clients keep being served during it", n > 20)
    check("other clients' GET max stays small (< 50 ms)", worst < 50, "%.2f ms" % worst)
    load(r, "course:9:%d", 100000)
    p = r.pipeline(transaction=False)
    p.set("before", "1")
    p.execute_command("INVALIDATE", "course:9:*", "before")
    p.get("course:9:5")
    p.set("course:9:after", "x")
    p.get("course:9:after")
    out = p.execute()
    check("pipelined commands behind a stepped INVALIDATE run after it, in order",
          out == [True, 100001, None, True, "x"], str(out))


def test_disconnect_mid_call():
    r = conn()
    r.flushall()
    load(r, "course:5:%d", 200000)
    s = socket.create_connection(("127.0.0.1", PORT))
    s.sendall(b"*2\r\n$10\r\nINVALIDATE\r\n$10\r\ncourse:5:*\r\n")
    s.close()
    time.sleep(0.05)
    check("a client gone mid-call: its keys are already invisible", r.get("course:5:7") is None)
    deadline = time.time() + 10
    while time.time() < deadline and r.dbsize() > 0:
        time.sleep(0.05)
    check("... and the call still finishes (memory reclaimed)", r.dbsize() == 0)
    check("server still fine", r.ping() and r.execute_command("INVALIDATE", "course:5:*") == 0)


for t in (test_prefix_with_writers, test_tag_with_writers, test_latency_and_pipeline, test_disconnect_mid_call):
    try:
        t()
    except Exception as e:  # a crash counts as a failure, the rest still runs
        check(t.__name__ + " ran", False, repr(e))
sys.exit(summary())
