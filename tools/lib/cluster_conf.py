#!/usr/bin/python3
"""tools/lib/cluster_conf.py: writes the cluster config files (Redis's nodes.conf format) of a
local shardcached cluster from one plan file, for tools/cluster.sh and the integration suite.

  cluster_conf.py init DIR N BASE_PORT     plan N nodes on 127.0.0.1:BASE_PORT.., slots split evenly
  cluster_conf.py init-ports DIR PORT...   the same on the given ports
  cluster_conf.py move DIR START END PORT  give slots START..END to the node on PORT (its epoch bumps)
  cluster_conf.py ports DIR                print the nodes' ports

DIR/plan holds one line per node: "port epoch start-end ..."; every command rewrites
DIR/node-PORT/nodes.conf for every node (the same topology, each with its own `myself`). The bus
port written is PORT + 10000 (0 when that is past 65535): shardcached has no cluster bus."""
import hashlib
import os
import sys

SLOTS = 16384


def node_id(port):
    return hashlib.sha1(f"shardcached-node-127.0.0.1:{port}".encode()).hexdigest()


def read_plan(d):
    nodes = []
    with open(os.path.join(d, "plan")) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            ranges = [tuple(int(x) for x in r.split("-")) for r in parts[2:]]
            nodes.append({"port": int(parts[0]), "epoch": int(parts[1]), "ranges": ranges})
    return nodes


def owners(nodes):
    own = [None] * SLOTS
    for i, n in enumerate(nodes):
        for a, b in n["ranges"]:
            for s in range(a, b + 1):
                own[s] = i
    return own


def compact(own, i):
    out, start = [], None
    for s in range(SLOTS + 1):
        mine = s < SLOTS and own[s] == i
        if mine and start is None:
            start = s
        if not mine and start is not None:
            out.append((start, s - 1))
            start = None
    return out


def write_all(d, nodes):
    own = owners(nodes)
    for n in nodes:
        n["ranges"] = compact(own, nodes.index(n))
    with open(os.path.join(d, "plan.tmp"), "w") as f:
        for n in nodes:
            f.write(f"{n['port']} {n['epoch']} " + " ".join(f"{a}-{b}" for a, b in n["ranges"]) + "\n")
    os.replace(os.path.join(d, "plan.tmp"), os.path.join(d, "plan"))
    epoch = max(n["epoch"] for n in nodes)
    for me in nodes:
        nd = os.path.join(d, f"node-{me['port']}")
        os.makedirs(nd, exist_ok=True)
        lines = []
        for n in nodes:
            flags = "myself,master" if n is me else "master"
            slots = " ".join(str(a) if a == b else f"{a}-{b}" for a, b in n["ranges"])
            cport = n["port"] + 10000 if n["port"] + 10000 <= 65535 else 0
            lines.append(f"{node_id(n['port'])} 127.0.0.1:{n['port']}@{cport} {flags} - 0 0 "
                         f"{n['epoch']} connected {slots}".rstrip())
        lines.append(f"vars currentEpoch {epoch} lastVoteEpoch 0")
        tmp = os.path.join(nd, "nodes.conf.tmp")
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, os.path.join(nd, "nodes.conf"))  # a SIGHUP never sees half a file


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, d = argv[1], argv[2]
    if cmd in ("init", "init-ports"):
        if cmd == "init":
            n, base = int(argv[3]), int(argv[4])
            ports = list(range(base, base + n))
        else:
            ports = [int(p) for p in argv[3:]]
            n = len(ports)
        if not 1 <= n <= 100 or not all(0 < p <= 65535 for p in ports) or len(set(ports)) != n:
            sys.exit("1 to 100 distinct ports between 1 and 65535")
        os.makedirs(d, exist_ok=True)
        nodes = [{"port": p, "epoch": i + 1, "ranges": [(i * SLOTS // n, (i + 1) * SLOTS // n - 1)]}
                 for i, p in enumerate(ports)]
        write_all(d, nodes)
    elif cmd == "move":
        start, end, port = int(argv[3]), int(argv[4]), int(argv[5])
        nodes = read_plan(d)
        target = [n for n in nodes if n["port"] == port]
        if not target or not 0 <= start <= end < SLOTS:
            sys.exit(f"no node on port {port}, or a bad slot range {start}-{end}")
        target[0]["epoch"] = max(n["epoch"] for n in nodes) + 1
        target[0]["ranges"].append((start, end))
        # The target is applied last, so its ranges win over the others'.
        own = owners([n for n in nodes if n is not target[0]] + [target[0]])
        order = [n for n in nodes if n is not target[0]] + [target[0]]
        for n in nodes:
            n["ranges"] = compact(own, order.index(n))
        write_all(d, nodes)
    elif cmd == "ports":
        print(" ".join(str(n["port"]) for n in read_plan(d)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
