# Descriptors of every kind, each named to tracer through a bogus ioctl(fd, 0x7472, name) whose
# name is what /proc/self/fd says (or DTrace's <none> and <unknown> for a closed and an invalid
# descriptor), for fds_kinds.d to compare with fds[fd].fi_pathname.
import ctypes
import os
import socket

libc = ctypes.CDLL(None, use_errno=True)


def name(fd, text):
    libc.ioctl(ctypes.c_int(fd), ctypes.c_ulong(0x7472), ctypes.c_char_p(text.encode()))


def show(fd):
    name(fd, os.readlink(f"/proc/self/fd/{fd}"))


sock, peer = socket.socketpair()
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
read_end, write_end = os.pipe()
event = os.eventfd(0)
closed = os.open("/dev/null", os.O_RDONLY)
os.close(closed)
for fd in (sock.fileno(), listener.fileno(), read_end, write_end, event, 0):
    show(fd)
name(closed, "<none>")
name(-1, "<unknown>")
