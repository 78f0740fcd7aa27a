"""Kernel flag/enum values -> Falco's driver encodings (PPM_*), for the live producers.

``.scap`` captures carry flag and enum parameters the way Falco's drivers write them
(``PPM_O_*`` open flags, ``PPM_CL_*`` clone flags, ``PPM_PTRACE_*`` requests,
``PPM_FCNTL_*`` commands...), and the state engine, the field extractors and
``runtime.flags`` read those. The eBPF sensor and the fallback sensors see raw kernel
values, so they convert here where they build the parameters, as the drivers do
(falcosecurity/libs ``driver/ppm_flag_helpers.h``, read as documentation).

Kernel values are x86_64 Linux's (the only architecture the sensor supports). Every
converter is a dict lookup: bit-flag converters memoise the value (a process uses few
distinct flag combinations) and compute misses with one loop over the table. A
multi-bit kernel flag (``O_SYNC`` includes ``O_DSYNC``, ``O_TMPFILE`` includes
``O_DIRECTORY``) is set only when all its bits are, so a plain ``O_DIRECTORY`` open is not
reported as ``O_TMPFILE``. Unknown bits are dropped and unknown enum values become
Falco's UNKNOWN, as in the drivers.
"""

from __future__ import annotations

from collections.abc import Callable

# (kernel bits, PPM bits); the kernel side as in <asm-generic/fcntl.h> (octal)
OPEN_BITS: tuple[tuple[int, int], ...] = (
    (0o100, 1 << 2),  # O_CREAT
    (0o200, 1 << 5),  # O_EXCL
    (0o1000, 1 << 8),  # O_TRUNC
    (0o2000, 1 << 3),  # O_APPEND
    (0o4000, 1 << 6),  # O_NONBLOCK
    (0o10000, 1 << 4),  # O_DSYNC
    (0o4010000, 1 << 7),  # O_SYNC (__O_SYNC | O_DSYNC)
    (0o40000, 1 << 9),  # O_DIRECT
    (0o100000, 1 << 11),  # O_LARGEFILE
    (0o200000, 1 << 10),  # O_DIRECTORY
    (0o2000000, 1 << 12),  # O_CLOEXEC
    (0o20200000, 1 << 13),  # O_TMPFILE (__O_TMPFILE | O_DIRECTORY)
)
PPM_O_RDONLY, PPM_O_WRONLY, PPM_O_RDWR = 1, 2, 3
PPM_O_CLOEXEC, PPM_O_NONBLOCK, PPM_O_DIRECT = 1 << 12, 1 << 6, 1 << 9
PPM_O_F_EXEC = 1 << 20
"""mamori's own marker (no Falco name, outside PPM_O_*): an exec open seen by fanotify."""

# <linux/sched.h> CLONE_* -> PPM_CL_*
CLONE_BITS: tuple[tuple[int, int], ...] = (
    (0x400, 1 << 0),  # CLONE_FILES
    (0x200, 1 << 1),  # CLONE_FS
    (0x80000000, 1 << 2),  # CLONE_IO
    (0x08000000, 1 << 3),  # CLONE_NEWIPC
    (0x40000000, 1 << 4),  # CLONE_NEWNET
    (0x00020000, 1 << 5),  # CLONE_NEWNS
    (0x20000000, 1 << 6),  # CLONE_NEWPID
    (0x04000000, 1 << 7),  # CLONE_NEWUTS
    (0x8000, 1 << 8),  # CLONE_PARENT
    (0x00100000, 1 << 9),  # CLONE_PARENT_SETTID
    (0x2000, 1 << 10),  # CLONE_PTRACE
    (0x800, 1 << 11),  # CLONE_SIGHAND
    (0x00040000, 1 << 12),  # CLONE_SYSVSEM
    (0x00010000, 1 << 13),  # CLONE_THREAD
    (0x00800000, 1 << 14),  # CLONE_UNTRACED
    (0x100, 1 << 15),  # CLONE_VM
    (0x10000000, 1 << 20),  # CLONE_NEWUSER
    (0x00200000, 1 << 23),  # CLONE_CHILD_CLEARTID
    (0x01000000, 1 << 24),  # CLONE_CHILD_SETTID
    (0x00080000, 1 << 25),  # CLONE_SETTLS
    (0x4000, 1 << 27),  # CLONE_VFORK
    (0x02000000, 1 << 28),  # CLONE_NEWCGROUP
)

# <linux/ptrace.h> (x86_64) -> PPM_PTRACE_*; anything else is PPM_PTRACE_UNKNOWN (0)
PTRACE: dict[int, int] = {
    0: 1, 1: 2, 2: 3, 3: 4, 4: 5, 5: 6, 6: 7, 7: 8, 8: 9, 9: 10,  # TRACEME .. SINGLESTEP
    16: 11, 17: 12, 24: 13,  # ATTACH, DETACH, SYSCALL
    0x4200: 14, 0x4201: 15, 0x4202: 16, 0x4203: 17,  # SETOPTIONS .. SETSIGINFO
    0x4204: 18, 0x4205: 19, 0x4206: 20, 0x4207: 21, 0x4208: 22,  # GETREGSET .. LISTEN
    0x4209: 23, 0x420A: 24, 0x420B: 25,  # PEEKSIGINFO, GETSIGMASK, SETSIGMASK
    12: 26, 13: 27, 14: 28, 15: 29, 18: 30, 19: 31,  # GET/SETREGS, FPREGS, FPXREGS
    21: 32, 25: 33, 26: 34, 30: 35, 31: 36, 32: 37, 33: 38,  # OLDSETOPTIONS .. SINGLEBLOCK
}  # fmt: skip

# <asm-generic/fcntl.h>, <linux/fcntl.h> F_* -> PPM_FCNTL_*; else PPM_FCNTL_UNKNOWN (0)
FCNTL: dict[int, int] = {
    0: 1, 1: 2, 2: 3, 3: 4, 4: 5, 5: 6, 6: 8, 7: 9, 8: 10, 9: 12, 10: 13, 11: 15,
    15: 21, 16: 22, 36: 30, 37: 31, 38: 32,  # SETOWN_EX, GETOWN_EX, OFD_*
    1024: 23, 1025: 24, 1026: 27, 1029: 25, 1030: 26, 1031: 28, 1032: 29,
}  # fmt: skip

# PPM_AF_* have the kernel's numbers; families Falco does not know become AF_UNSPEC (0)
_AF_KNOWN = frozenset(range(40)) - {27, 28}


class Memo:
    """A memoised converter. ``cache`` is a plain dict so that the decoder's generated
    code reads a hit with one specialised subscript (no Python call); a miss calls the
    converter, which computes and keeps the value (at most ``LIMIT`` kept, so hostile
    values cannot grow it)."""

    LIMIT = 4096
    __slots__ = ("cache", "compute")

    def __init__(self, compute: Callable[[int], int]) -> None:
        self.cache: dict[int, int] = {}
        self.compute = compute

    def __call__(self, value: int) -> int:
        cache = self.cache
        try:
            return cache[value]
        except KeyError:
            res = self.compute(value)
            if len(cache) < self.LIMIT:
                cache[value] = res
            return res


def bit_converter(bits: tuple[tuple[int, int], ...]) -> Memo:
    """A converter setting each PPM bit whose kernel bits are all set."""

    def compute(value: int) -> int:
        res = 0
        for kernel, ppm in bits:
            if value & kernel == kernel:
                res |= ppm
        return res

    return Memo(compute)


_open_bits = bit_converter(OPEN_BITS)
_ACCMODE = (PPM_O_RDONLY, PPM_O_WRONLY, PPM_O_RDWR, PPM_O_RDONLY)


def _open(value: int) -> int:
    return _ACCMODE[value & 3] | _open_bits(value & ~3)


open_flags = Memo(_open)
"""open/openat/openat2 ``flags`` (kernel O_*) -> PPM_O_* (the access mode always named)."""
clone_flags = bit_converter(CLONE_BITS)
"""clone/clone3/unshare ``flags`` and setns ``nstype`` (kernel CLONE_*) -> PPM_CL_*."""
pipe2_flags = bit_converter(
    ((0o2000000, PPM_O_CLOEXEC), (0o40000, PPM_O_DIRECT), (0o4000, PPM_O_NONBLOCK))
)
"""pipe2 ``flags`` -> PPM_O_CLOEXEC / PPM_O_DIRECT / PPM_O_NONBLOCK."""
dup3_flags = bit_converter(((0o2000000, PPM_O_CLOEXEC),))
"""dup3 ``flags``: only O_CLOEXEC is meaningful -> PPM_O_CLOEXEC."""


def _ptrace_request(value: int) -> int:
    """ptrace ``request`` -> PPM_PTRACE_* (PTRACE_ATTACH 16 -> 11)."""
    return PTRACE.get(value, 0)


ptrace_request = Memo(_ptrace_request)


def _fcntl_cmd(value: int) -> int:
    """fcntl ``cmd`` -> PPM_FCNTL_* (F_DUPFD 0 -> 1)."""
    return FCNTL.get(value, 0)


fcntl_cmd = Memo(_fcntl_cmd)


def _socket_family(value: int) -> int:
    """socket/socketpair ``domain`` -> PPM_AF_*."""
    return value if value in _AF_KNOWN else 0


socket_family = Memo(_socket_family)


def _unlinkat_flags(value: int) -> int:
    """unlinkat ``flags``: AT_REMOVEDIR (0x200) has the same PPM value; the rest dropped."""
    return value & 0x200


unlinkat_flags = Memo(_unlinkat_flags)


def _linkat_flags(value: int) -> int:
    """linkat ``flags``: AT_SYMLINK_FOLLOW / AT_EMPTY_PATH keep their values."""
    return value & 0x1400


linkat_flags = Memo(_linkat_flags)


def _mount_flags(value: int) -> int:
    """mount ``flags``: PPM_MS_* are MS_*; the legacy magic (0xC0ED in the high half) is
    removed, as the drivers do (a 32-bit parameter)."""
    value &= 0xFFFFFFFF
    return value & 0xFFFF if value & 0xFFFF0000 == 0xC0ED0000 else value


mount_flags = Memo(_mount_flags)


def _umount_flags(value: int) -> int:
    """umount2 ``flags``: MNT_FORCE/DETACH/EXPIRE, UMOUNT_NOFOLLOW keep their values."""
    return value & 0xF


umount_flags = Memo(_umount_flags)


CONVERTERS: dict[tuple[str, str], Memo] = {
    **{(e, "flags"): open_flags for e in ("open", "openat", "openat2")},
    **{(e, "flags"): clone_flags for e in ("clone", "clone3", "fork", "vfork", "unshare")},
    ("setns", "nstype"): clone_flags,
    ("pipe2", "flags"): pipe2_flags,
    ("dup3", "flags"): dup3_flags,
    ("ptrace", "request"): ptrace_request,
    ("fcntl", "cmd"): fcntl_cmd,
    ("socket", "domain"): socket_family,
    ("socketpair", "domain"): socket_family,
    ("unlinkat", "flags"): unlinkat_flags,
    ("linkat", "flags"): linkat_flags,
    ("mount", "flags"): mount_flags,
    ("umount2", "flags"): umount_flags,
}
"""(Falco event, parameter) -> its kernel -> PPM converter, for every flag/enum parameter a
sensor emits whose encoding differs from the kernel's."""


def convert_params(event: str, params: dict[str, object]) -> None:
    """Convert, in place, the kernel-valued flag/enum ``params`` of one ``event`` (for the
    producers that build params dicts by hand: the fallback sensors)."""
    for name, value in params.items():
        fn = CONVERTERS.get((event, name))
        if fn is not None and isinstance(value, int):
            params[name] = fn(value)
