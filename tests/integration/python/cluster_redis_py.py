#!/usr/bin/python3
"""tests/integration/python/cluster_redis_py.py: Debian's redis-py (4.3) RedisCluster against a
three-node shardcached cluster (suite_cluster.sh): set/get over many keys in every node's slots,
CROSSSLOT and MOVED from a plain client, and the client following MOVED after a topology change
applied with SIGHUP. Usage: cluster_redis_py.py CONF_DIR PORT1 PORT2 PORT3 (CONF_DIR as written
by tools/lib/cluster_conf.py; this script moves a slot with it and sends the SIGHUPs to the pids
in CONF_DIR/node-PORT/pid). Ends with "N passed, N failed"."""
import os
import signal
import subprocess
import sys
import time

import redis
from redis.cluster import RedisCluster

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL " + name + (": " + str(detail) if detail else ""))


def slot_of(r, key):
    return r.execute_command("CLUSTER KEYSLOT", key)


def main():
    conf_dir, ports = sys.argv[1], [int(p) for p in sys.argv[2:5]]
    plain = [redis.Redis(host="127.0.0.1", port=p, socket_timeout=5, decode_responses=True) for p in ports]
    rc = RedisCluster(host="127.0.0.1", port=ports[0], socket_timeout=5, decode_responses=True)
    check("RedisCluster sees three masters", len(rc.get_primaries()) == 3, rc.get_primaries())

    keys = ["py:%d" % i for i in range(600)]
    before = [r.dbsize() for r in plain]
    for k in keys:
        rc.set(k, k + "!")
    got = [rc.get(k) for k in keys]
    check("RedisCluster set/get 600 keys across slots", got == [k + "!" for k in keys],
          [k for k, g in zip(keys, got) if g != k + "!"][:5])
    counts = [r.dbsize() - b for r, b in zip(plain, before)]
    check("the keys are spread over the three nodes", sum(counts) == 600 and all(c > 100 for c in counts), counts)
    owner = {}
    for i, r in enumerate(plain):
        for s in r.execute_command("CLUSTER SLOTS"):
            for slot in range(s[0], s[1] + 1):
                owner[slot] = s[2][1]
    check("CLUSTER SLOTS covers every slot, the same on every node", len(owner) == 16384 and
          all(r.execute_command("CLUSTER SLOTS") == plain[0].execute_command("CLUSTER SLOTS") for r in plain))

    try:
        plain[0].mset({"foo": "1", "bar": "2"})
        check("MSET across slots: CROSSSLOT", False, "no error")
    except redis.ResponseError as e:
        check("MSET across slots: CROSSSLOT", str(e) == "CROSSSLOT Keys in request don't hash to the same slot", e)

    foo_slot = slot_of(plain[0], "foo")
    foo_port = owner[foo_slot]
    other = [p for p in ports if p != foo_port][0]
    try:
        plain[ports.index(other)].get("foo")
        check("GET on a node that does not own the slot: MOVED", False, "no error")
    except redis.ResponseError as e:
        check("GET on a node that does not own the slot: MOVED", str(e) == "MOVED %d 127.0.0.1:%d" % (foo_slot, foo_port), e)

    # A topology change: foo's slot moves to `other`; every node re-reads its file on SIGHUP.
    rc.set("foo", "before")
    subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "../../../tools/lib/cluster_conf.py"),
                    "move", conf_dir, str(foo_slot), str(foo_slot), str(other)], check=True)
    for p in ports:
        with open(os.path.join(conf_dir, "node-%d" % p, "pid")) as f:
            os.kill(int(f.read()), signal.SIGHUP)
    deadline = time.time() + 10
    moved = ""
    while time.time() < deadline:
        try:
            plain[ports.index(foo_port)].get("foo")
        except redis.ResponseError as e:
            moved = str(e)
            break
        time.sleep(0.05)
    check("after the move and SIGHUP the old owner answers MOVED to the new one",
          moved == "MOVED %d 127.0.0.1:%d" % (foo_slot, other), moved)
    # The cache way: the key is not carried over; the cluster client follows MOVED.
    first = rc.get("foo")
    rc.set("foo", "after")
    check("RedisCluster follows MOVED: the moved slot starts empty on its new node, then serves writes",
          first is None and rc.get("foo") == "after" and plain[ports.index(other)].get("foo") == "after", first)
    deadline = time.time() + 10
    n = -1
    while time.time() < deadline:
        n = plain[ports.index(foo_port)].execute_command("CLUSTER COUNTKEYSINSLOT", foo_slot)
        if n == 0:
            break
        time.sleep(0.1)
    check("the old owner drops the moved slot's keys in the background", n == 0, n)
    check("every other key is still served", [rc.get(k) for k in keys if slot_of(plain[0], k) != foo_slot] ==
          [k + "!" for k in keys if slot_of(plain[0], k) != foo_slot])
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
