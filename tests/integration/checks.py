"""tests/integration/checks.py: the pass/fail printer the Python check scripts share. Each check
prints "ok   NAME" or "FAIL NAME: DETAIL" and is counted; summary() prints "N passed, N failed"
(the line the suites read) and returns the exit status. Safe to call from several threads.
Versus sends one command to shardcached and to the reference redis-server, for the scripts that
compare the two reply for reply.

A script beside this file imports it directly; one in a subdirectory first puts this directory
on sys.path (sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))).
"""
import threading

passed = 0
failed = 0
_lock = threading.Lock()


def check(name, cond, detail=""):
    """Counts one check; `detail` says why it failed."""
    global passed, failed
    with _lock:
        if cond:
            passed += 1
            print("ok   " + name, flush=True)
        else:
            failed += 1
            print("FAIL %s%s" % (name, ": " + str(detail) if detail else ""), flush=True)
    return bool(cond)


def summary():
    """Prints the counts; returns 0 when nothing failed, else 1 (the script's exit status)."""
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 0 if failed == 0 else 1


def check_eq(name, got, want):
    """Counts one check that got == want; a failure shows both."""
    return check(name, got == want, "got %r, want %r" % (got, want))


class Versus:
    """Two redis-py clients, shardcached's and the reference redis-server's. both() sends one
    command to each and returns [ours, theirs], an error reply as "error: TEXT" so that error
    texts compare too; same() checks that both replies are equal (after transform)."""

    def __init__(self, sc, ref, error_type):
        self.sc, self.ref, self.error_type = sc, ref, error_type

    def both(self, *args):
        out = []
        for r in (self.sc, self.ref):
            try:
                out.append(r.execute_command(*args))
            except self.error_type as e:
                out.append("error: " + str(e))
        return out

    def same(self, name, *args, transform=lambda x: x):
        got, want = self.both(*args)
        return check_eq(name, transform(got), transform(want))
