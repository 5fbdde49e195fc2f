# tests/integration/mdwe_exec.py: runs a program under the kernel's memory-deny-write-execute rule
# (prctl PR_SET_MDWE, Linux 6.3+), as systemd's MemoryDenyWriteExecute=yes does with seccomp.
#   python3 mdwe_exec.py PROGRAM [ARGS...]   (execs PROGRAM, so its pid is the caller's child's)
import ctypes
import os
import sys

PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_MDWE): " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
