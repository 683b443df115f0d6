# A child that starts a session with setsid() and a grandchild that starts a process group of
# its own in it with setpgid(): each names its process group and session as ps shows them
# through a bogus ioctl(-1, 0x7472, "PGID SID PID"), for fds_sessions.d to compare with
# curpsinfo.
import ctypes
import os
import subprocess

libc = ctypes.CDLL(None, use_errno=True)


def report():
    pid = os.getpid()
    ps = subprocess.run(["ps", "-o", "pgid=,sid=", "-p", str(pid)], capture_output=True,
                        text=True, check=True).stdout.split()
    text = " ".join(ps + [str(pid)])
    libc.ioctl(ctypes.c_int(-1), ctypes.c_ulong(0x7472), ctypes.c_char_p(text.encode()))


child = os.fork()
if child == 0:
    os.setsid()
    report()
    grandchild = os.fork()
    if grandchild == 0:
        os.setpgid(0, 0)
        report()
        os._exit(0)
    os.waitpid(grandchild, 0)
    os._exit(0)
os.waitpid(child, 0)
