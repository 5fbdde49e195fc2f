"""tools/bench/resp_wire.py: the bits of the Redis wire format and /proc the Python benchmark
drivers and tools/soak.py share (churn_load.py, hit_ratio.py, invalidation_bench.py); they speak RESP themselves
so they need no client library and can pipeline exactly as they choose."""


def encode(*args):
    """One command as a RESP multibulk; str and int arguments are sent as their text."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def parse_info(text):
    """INFO's text as a dict of field -> value (section headers and blank lines skipped)."""
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line and not line.startswith("#"))


def rss_bytes(pid):
    """Resident set size of a process, from /proc/<pid>/status (0 if it is not there)."""
    with open("/proc/%d/status" % pid) as st:
        for line in st:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0
