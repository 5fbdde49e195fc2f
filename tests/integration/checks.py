"""tests/integration/checks.py: the pass/fail printer the Python check scripts share. Each check
prints "ok   NAME" or "FAIL NAME: DETAIL" and is counted; summary() prints "N passed, N failed"
(the line the suites read) and returns the exit status. Safe to call from several threads.

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
