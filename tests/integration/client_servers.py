#!/usr/bin/python3
"""tests/integration/client_servers.py: misbehaving loopback servers for the client suite.

  silent     accepts connections and reads forever, never answering (a hung server)
  blackhole  listens with a full accept queue and never accepts, so connects hang

Prints the port on the first line, then serves until killed or for at most 600 s.
"""
import selectors
import socket
import sys
import time

LIMIT_S = 600


def silent():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    print(srv.getsockname()[1], flush=True)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ)
    end = time.time() + LIMIT_S
    while time.time() < end:
        for key, _ in sel.select(timeout=1.0):
            if key.fileobj is srv:
                conn, _ = srv.accept()
                sel.register(conn, selectors.EVENT_READ)
            else:
                try:
                    data = key.fileobj.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()


def blackhole():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    port = srv.getsockname()[1]
    fillers = []
    for _ in range(3):  # fill the accept queue; later SYNs are dropped
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(c)
    print(port, flush=True)
    time.sleep(LIMIT_S)


if __name__ == "__main__":
    {"silent": silent, "blackhole": blackhole}[sys.argv[1]]()
