"""The events Falco considers to be "about" an existing fd, and which parameter names it.

For an enter event the fd is that parameter; for an exit event it is the exit's own
parameter when the event carries one (newer drivers add it), else the enter's.
"""

from __future__ import annotations

USES_FD: dict[str, str] = {
    **dict.fromkeys(
        (
            "close", "read", "write", "bind", "connect", "listen", "send", "sendto", "recv",
            "recvfrom", "shutdown", "setsockopt", "getsockopt", "sendmsg", "recvmsg",
            "fstat", "fstat64", "lseek", "llseek", "ioctl", "fchdir", "pread", "pwrite",
            "readv", "writev", "preadv", "pwritev", "fcntl", "getdents", "getdents64",
            "setns", "flock", "io_uring_enter", "io_uring_register", "dup", "dup2", "dup3",
            "fchmod", "fchown", "finit_module", "signalfd", "signalfd4",
        ),
        "fd",
    ),
    "splice": "fd_in",
    "sendfile": "out_fd",
    "copy_file_range": "fdin",
}  # fmt: skip
