#!/usr/bin/python3
"""tests/integration/python/hostile_admission.py: clients that hold connections without using
them (stdlib only, raw sockets, 127.0.0.1 only, every wait bounded).

Checks, against a daemon started by suite_hostile_admission.sh:
  timeouts   RESP `timeout` (CONFIG SET timeout 1 closes an idle client, not an active one;
             timeout 0 keeps it); HTTP keep-alive idle close, header-read timeout (slowloris,
             408), body deadline (half-sent body, 408).
  auth       with --requirepass: a POST without / with a wrong token declaring a 60 MB body
             gets 401 at once and costs no memory (VmRSS), nor do 20 of them at once.
  inflight   http-max-inflight-body: authenticated bodies past it get 503; freed, it admits again.
  maxclients one limit for RESP and HTTP, both ways, and INFO connected_clients counts both.
After every probe, PING answers within 100 ms and a canary key is intact.

Usage: hostile_admission.py --port P --http-port H --pid PID --password PW
                            --group timeouts|auth|inflight|maxclients [--maxclients N]
Prints one line per check and ends with "N passed, N failed".
"""
import argparse
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from badinput import encode as resp  # noqa: E402  (same folder: one RESP encoder for the raw-socket scripts)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, summary  # noqa: E402  (tests/integration/checks.py)

HOST = "127.0.0.1"


def connect(port, timeout=5.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.settimeout(timeout)
    return s


def connect_not_reading(port):
    """A connection with a 4 KB receive buffer set before connecting (so the window stays small):
    the server cannot push a large reply into the kernel and must hold it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5.0)
    s.connect((HOST, port))
    return s


def watch_client(admin, sock, limit):
    """Follows `sock`'s line in CLIENT LIST (read on `admin`): returns (largest omem seen,
    seconds from its first appearance until it is gone, or None after `limit`)."""
    me = "addr=%s:%d " % sock.getsockname()[:2]
    start, seen, omem = time.monotonic(), None, 0
    while time.monotonic() - start < limit:
        line = [l for l in command(admin, "CLIENT", "LIST").split("\n") if me in l]
        if line:
            seen = seen or time.monotonic()
            omem = max(omem, int(line[0].split(" omem=")[1].split()[0]))
        elif seen:
            return omem, time.monotonic() - seen
        time.sleep(0.1)
    return omem, None


def read_line(s):
    buf = b""
    while not buf.endswith(b"\r\n"):
        c = s.recv(1)
        if not c:
            return buf.decode(errors="replace") + "<closed>"
        buf += c
    return buf[:-2].decode(errors="replace")


def command(s, *args):
    """Sends one command; returns its first reply line (a bulk's payload for $ replies)."""
    s.sendall(resp(*args))
    line = read_line(s)
    if line.startswith("$") and line != "$-1":
        n = int(line[1:])
        data = b""
        while len(data) < n + 2:
            data += s.recv(n + 2 - len(data))
        return data[:-2].decode(errors="replace")
    return line


def wait_closed(s, limit):
    """Seconds until the peer closes `s` (reading and discarding), or None after `limit`."""
    start = time.monotonic()
    s.settimeout(0.1)
    while time.monotonic() - start < limit:
        try:
            if not s.recv(65536):
                return time.monotonic() - start
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - start
    return None


def read_http(s, limit=5.0):
    """Reads one HTTP response (headers + Content-Length body); returns (status, body) or (0, why)."""
    s.settimeout(limit)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            c = s.recv(65536)
            if not c:
                return 0, "closed before a response"
            data += c
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        while len(body) < length:
            c = s.recv(65536)
            if not c:
                break
            body += c
        return int(head.split(b" ")[1]), body.decode(errors="replace")
    except (socket.timeout, OSError) as e:
        return 0, f"no response: {e}"


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Daemon:
    def __init__(self, a):
        self.a = a
        self.admin = connect(a.port)
        if a.password:
            command(self.admin, "AUTH", a.password)

    def resp_client(self):
        s = connect(self.a.port)
        if self.a.password:
            command(s, "AUTH", self.a.password)
        return s

    def healthy(self, after):
        """PING within 100 ms on a fresh connection and the canary intact."""
        s = self.resp_client()
        t = time.monotonic()
        pong = command(s, "PING")
        ms = (time.monotonic() - t) * 1000
        canary = command(s, "GET", "canary")
        s.close()
        check(f"after {after}: PING within 100 ms, canary intact", pong == "+PONG" and ms < 100 and canary == "alive",
              f"{pong} in {ms:.1f} ms, canary {canary!r}")


def http_post_head(path, length, token=None, extra=""):
    h = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    if token is not None:
        h += f"Authorization: Bearer {token}\r\n"
    return (h + extra + f"Content-Length: {length}\r\n\r\n").encode()


def group_timeouts(d, a):
    # RESP timeout 1: the idle client goes within 1-3 s, the active one stays.
    check("CONFIG SET timeout 1", command(d.admin, "CONFIG", "SET", "timeout", "1") == "+OK")
    idle, active = d.resp_client(), d.resp_client()
    start = time.monotonic()
    idle.settimeout(0.05)
    closed_at = None
    active_ok = True
    while time.monotonic() - start < 3.5 and closed_at is None:
        active_ok &= command(active, "PING") == "+PONG"
        try:
            if idle.recv(100) == b"":
                closed_at = time.monotonic() - start
        except socket.timeout:
            pass
        time.sleep(0.2)
    check("timeout 1: idle RESP client closed within 1-3 s", closed_at is not None and 0.9 <= closed_at <= 3.2,
          f"closed after {closed_at}")
    check("timeout 1: a client sending a PING every 0.2 s stays", active_ok and command(active, "PING") == "+PONG")
    # A client that asks for 8 MB and never reads it is idle too (Redis closes it): its reply
    # waiting for the socket must not keep the connection (and the 8 MB) forever. (2 MB values:
    # a value over a shard's share of maxmemory may be evicted at once.)
    check("SET big 2 MB", command(active, "SET", "big", b"x" * (2 << 20)) == "+OK")
    stalled = connect_not_reading(a.port)
    if a.password:
        command(stalled, "AUTH", a.password)
    stalled.sendall(resp("MGET", "big", "big", "big", "big"))
    omem, gone_at = watch_client(active, stalled, 5)
    check("timeout 1: a client not reading an 8 MB reply is closed within 1-3 s",
          omem >= 1 << 20 and gone_at is not None and gone_at <= 3.2, f"omem {omem}, closed after {gone_at}")
    stalled.close()
    command(active, "DEL", "big")
    d.admin.sendall(resp("PING"))  # the admin connection was idle too: it may have been closed
    if read_line(d.admin) != "+PONG":
        d.admin = d.resp_client()
    check("CONFIG SET timeout 0", command(d.admin, "CONFIG", "SET", "timeout", "0") == "+OK")
    kept = d.resp_client()
    time.sleep(2.5)
    check("timeout 0: a client idle for 2.5 s is kept", command(kept, "PING") == "+PONG")
    kept.close()
    active.close()
    d.healthy("RESP timeout")

    # HTTP: keep-alive idle (2 s in the suite), header timeout, body deadline.
    s = connect(a.http_port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    st, _ = read_http(s)
    t = wait_closed(s, 6)
    check("HTTP keep-alive connection idle past http-idle-timeout 2 is closed", st == 200 and t is not None and 1.5 <= t <= 4,
          f"status {st}, closed after {t}")
    s.close()

    s = connect(a.http_port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    start = time.monotonic()
    got = b""
    s.settimeout(0.3)
    for i in range(40):  # a header line every 0.3 s, never the blank line
        try:
            s.sendall(b"X-Slow-%d: y\r\n" % i)
            got += s.recv(4096)
        except socket.timeout:
            continue
        except OSError:
            break
        if b"\r\n\r\n" in got:
            break
    elapsed = time.monotonic() - start
    check("slowloris: headers trickled past http-header-timeout 2 get 408 and close",
          got.startswith(b"HTTP/1.1 408 ") and b"http-header-timeout" in got and 1.5 <= elapsed <= 4,
          f"{got[:60]!r} after {elapsed:.1f} s")
    check("slowloris: the connection is closed", wait_closed(s, 4) is not None)
    s.close()

    s = connect(a.http_port)
    s.sendall(http_post_head("/", 1000, a.password) + b'["set","k",')
    start = time.monotonic()
    st, body = read_http(s, 6)
    elapsed = time.monotonic() - start
    check("half-sent body: 408 after http-body-timeout 2", st == 408 and "http-body-timeout" in body and 1.5 <= elapsed <= 4,
          f"{st} {body} after {elapsed:.1f} s")
    check("half-sent body: the connection is closed", wait_closed(s, 4) is not None)
    s.close()

    # A request in progress is not cut by the idle timeout: 3 requests, 1 s apart, on one connection.
    s = connect(a.http_port)
    ok = True
    for _ in range(3):
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        ok &= read_http(s)[0] == 200
        time.sleep(1.0)
    check("HTTP keep-alive connection used every second stays open past 2 s", ok)
    s.close()

    # A REST client that asks for 8 MB and never reads it: the connection waits for its client,
    # so it goes after http-idle-timeout (2 s) without progress, with or without keep-alive.
    admin = d.resp_client()
    check("SET big 2 MB (REST probe)", command(admin, "SET", "big", b"x" * (2 << 20)) == "+OK")
    for conn in ("keep-alive", "close"):
        s = connect_not_reading(a.http_port)
        s.sendall(f"GET /mget/big/big/big/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {a.password}\r\n"
                  f"Connection: {conn}\r\n\r\n".encode())
        omem, gone_at = watch_client(admin, s, 6)
        check(f"HTTP ({conn}): an 8 MB answer the client does not read shows in CLIENT LIST omem",
              omem >= 1 << 20, f"omem {omem}")
        check(f"HTTP ({conn}) client not reading an 8 MB answer is closed after http-idle-timeout 2",
              gone_at is not None and 1.5 <= gone_at <= 4.5, f"closed after {gone_at}")
        s.close()
    command(admin, "DEL", "big")
    admin.close()
    d.healthy("HTTP timeouts")


def send_some(s, total, chunk=1 << 20):
    """Sends up to `total` bytes of body, stopping when the peer stops taking them."""
    s.settimeout(0.5)
    sent = 0
    try:
        while sent < total:
            sent += s.send(b"x" * min(chunk, total - sent))
    except OSError:
        pass
    return sent


def group_auth(d, a):
    big = 60 << 20
    base = vm_rss_kb(a.pid)
    for label, token in (("no token", None), ("a wrong token", "wrong")):
        s = connect(a.http_port)
        t = time.monotonic()
        s.sendall(http_post_head("/", big, token))
        st, body = read_http(s, 3)
        ms = (time.monotonic() - t) * 1000
        check(f"POST with {label} declaring 60 MB: 401 before the body", st == 401 and body == '{"error":"Unauthorized"}'
              and ms < 500, f"{st} {body} in {ms:.0f} ms")
        send_some(s, 8 << 20)  # the client sends anyway: drained, not kept
        check(f"POST with {label}: the connection is closed", wait_closed(s, 4) is not None)
        s.close()
    grew = vm_rss_kb(a.pid) - base
    check("two refused 60 MB POSTs: RSS grew < 8 MB", grew < 8 * 1024, f"grew {grew} kB")

    socks = []
    for i in range(20):
        s = connect(a.http_port)
        s.sendall(http_post_head("/pipeline", big, None if i % 2 else "wrong"))
        socks.append(s)
    statuses = [read_http(s, 3)[0] for s in socks]
    threads = [threading.Thread(target=send_some, args=(s, 4 << 20)) for s in socks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    grew = vm_rss_kb(a.pid) - base
    check("20 unauthenticated 60 MB POSTs at once: all 401", statuses == [401] * 20, str(statuses))
    check("20 unauthenticated 60 MB POSTs at once: RSS grew < 16 MB", grew < 16 * 1024, f"grew {grew} kB")
    for s in socks:
        s.close()
    ok = connect(a.http_port)
    ok.sendall(http_post_head("/", 17, a.password) + b'["get","canary"]' + b" ")
    st, body = read_http(ok)
    check("the right token still works", st == 200 and body == '{"result":"alive"}', f"{st} {body}")
    ok.close()
    d.healthy("unauthenticated bodies")


def set_body(n):
    prefix, suffix = b'["set","big","', b'"]'
    return prefix + b"v" * (n - len(prefix) - len(suffix)) + suffix


def group_inflight(d, a):
    # The suite sets http-max-inflight-body to 8 MB.
    n = 6 << 20
    first = connect(a.http_port)
    first.sendall(http_post_head("/", n, a.password) + set_body(n)[: 1 << 20])
    time.sleep(0.3)  # its headers are in: 6 MB reserved
    m = connect(a.http_port)
    m.sendall(f"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {a.password}\r\n\r\n".encode())
    st, metrics = read_http(m)
    m.close()
    check("/metrics shows the 6 MB reserved", f"shardcache_http_inflight_body_bytes {n}\n" in metrics,
          [l for l in metrics.splitlines() if "inflight" in l])
    second = connect(a.http_port)
    t = time.monotonic()
    second.sendall(http_post_head("/", n, a.password))
    st, body = read_http(second, 3)
    ms = (time.monotonic() - t) * 1000
    check("a 6 MB body while another 6 MB is arriving (cap 8 MB): 503 at once",
          st == 503 and "http-max-inflight-body" in body and ms < 500, f"{st} {body} in {ms:.0f} ms")
    second.close()
    first.sendall(set_body(n)[1 << 20:])
    st, body = read_http(first, 5)
    check("the first 6 MB body completes", st == 200 and body == '{"result":"OK"}', f"{st} {body}")
    first.close()
    third = connect(a.http_port)
    third.sendall(http_post_head("/", n, a.password) + set_body(n))
    st, body = read_http(third, 5)
    check("once it is answered, another 6 MB body is admitted", st == 200, f"{st} {body}")
    third.close()
    d.healthy("in-flight body cap")


def group_maxclients(d, a):
    limit = a.maxclients  # the admin connection is one of them
    https = []
    for _ in range(limit - 1):
        s = connect(a.http_port)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # answered = accepted and counted
        https.append((s, read_http(s)[0]))
    check(f"{limit - 1} HTTP connections + 1 RESP fit maxclients {limit}", all(st == 200 for _, st in https))
    info = command(d.admin, "INFO", "clients")
    check(f"INFO connected_clients counts both: {limit}", f"connected_clients:{limit}" in info, info)
    answers = []
    for _ in range(5):  # each refused client gets the error at once, none waits in the backlog
        extra = connect(a.port, timeout=1.0)
        try:
            answers.append(read_line(extra))
        except OSError as e:
            answers.append(repr(e))
        extra.close()
    check("5 RESP clients past maxclients (the rest HTTP): Redis's error within 1 s each",
          answers == ["-ERR max number of clients reached"] * 5, str(answers))
    for s, _ in https:
        s.close()
    time.sleep(0.3)
    resps = [d.resp_client() for _ in range(limit - 1)]
    check(f"{limit - 1} more RESP clients fit once the HTTP ones closed",
          all(command(s, "PING") == "+PONG" for s in resps))
    h = connect(a.http_port)
    h.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    st, body = read_http(h)
    check("HTTP connection past maxclients (the rest RESP): 503 with Redis's error",
          st == 503 and body == '{"error":"ERR max number of clients reached"}', f"{st} {body}")
    h.close()
    for s in resps[1:]:
        s.close()
    time.sleep(0.3)
    resps[0].close()
    d.healthy("maxclients")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--http-port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--password", default="")
    p.add_argument("--maxclients", type=int, default=0)
    p.add_argument("--group", required=True)
    a = p.parse_args()
    d = Daemon(a)
    d.admin.sendall(resp("SET", "canary", "alive"))
    read_line(d.admin)
    {"timeouts": group_timeouts, "auth": group_auth, "inflight": group_inflight,
     "maxclients": group_maxclients}[a.group](d, a)
    summary()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # an unexpected error is one failed check, not a silent pass
        check("no unexpected error", False, repr(e))
        summary()
