"""Falco's symbolic names for flag and enum parameters (``evt.arg.flags`` renders
``O_RDONLY|O_CLOEXEC``; rules test ``evt.arg.flags contains O_TRUNC``,
``evt.arg.request contains PTRACE_ATTACH``, ``evt.arg.domain``...).

Pure data written from falcosecurity/libs ``driver/flags_table.c`` read as
documentation. Each table lists (name, value) in Falco's order; ``render`` picks names
the way libsinsp does: in table order, each entry whose bits are all set in what is
left of the value, removing them; the zero-valued entry names a value of 0.
"""

from __future__ import annotations

_FILE = """O_LARGEFILE 2048 O_DIRECTORY 1024 O_DIRECT 512 O_TRUNC 256 O_SYNC 128
O_NONBLOCK 64 O_EXCL 32 O_DSYNC 16 O_APPEND 8 O_CREAT 4 O_RDWR 3 O_WRONLY 2 O_RDONLY 1
O_CLOEXEC 4096 O_NONE 0 O_TMPFILE 8192 O_F_CREATED 16384"""
_FAMILIES = """AF_NFC 39 AF_ALG 38 AF_CAIF 37 AF_IEEE802154 36 AF_PHONET 35 AF_ISDN 34
AF_RXRPC 33 AF_IUCV 32 AF_BLUETOOTH 31 AF_TIPC 30 AF_CAN 29 AF_LLC 26 AF_WANPIPE 25
AF_PPPOX 24 AF_IRDA 23 AF_SNA 22 AF_RDS 21 AF_ATMSVC 20 AF_ECONET 19 AF_ASH 18 AF_PACKET 17
AF_ROUTE 16 AF_NETLINK 16 AF_KEY 15 AF_SECURITY 14 AF_NETBEUI 13 AF_DECnet 12 AF_ROSE 11
AF_INET6 10 AF_X25 9 AF_ATMPVC 8 AF_BRIDGE 7 AF_NETROM 6 AF_APPLETALK 5 AF_IPX 4 AF_AX25 3
AF_INET 2 AF_LOCAL 1 AF_UNIX 1 AF_UNSPEC 0"""
_CLONE = """CLONE_FILES 1 CLONE_FS 2 CLONE_IO 4 CLONE_NEWIPC 8 CLONE_NEWNET 16 CLONE_NEWNS 32
CLONE_NEWPID 64 CLONE_NEWUTS 128 CLONE_PARENT 256 CLONE_PARENT_SETTID 512 CLONE_PTRACE 1024
CLONE_SIGHAND 2048 CLONE_SYSVSEM 4096 CLONE_THREAD 8192 CLONE_UNTRACED 16384 CLONE_VM 32768
CLONE_INVERTED 65536 NAME_CHANGED 131072 CLOSED 262144 CLONE_NEWUSER 1048576
CLONE_CHILD_CLEARTID 8388608 CLONE_CHILD_SETTID 16777216 CLONE_SETTLS 33554432
CLONE_STOPPED 67108864 CLONE_VFORK 134217728 CLONE_NEWCGROUP 268435456"""
_FUTEX = """FUTEX_CLOCK_REALTIME 256 FUTEX_PRIVATE_FLAG 128 FUTEX_CMP_REQUEUE_PI 12
FUTEX_WAIT_REQUEUE_PI 11 FUTEX_WAKE_BITSET 10 FUTEX_WAIT_BITSET 9 FUTEX_TRYLOCK_PI 8
FUTEX_UNLOCK_PI 7 FUTEX_LOCK_PI 6 FUTEX_WAKE_OP 5 FUTEX_CMP_REQUEUE 4 FUTEX_REQUEUE 3
FUTEX_FD 2 FUTEX_WAKE 1 FUTEX_WAIT 0"""
_FCNTL = """F_GETPIPE_SZ 29 F_SETPIPE_SZ 28 F_NOTIFY 27 F_DUPFD_CLOEXEC 26 F_CANCELLK 25
F_GETLEASE 24 F_SETLEASE 23 F_GETOWN_EX 22 F_SETOWN_EX 21 F_GETSIG 15 F_SETSIG 13
F_GETOWN 12 F_SETOWN 10 F_SETLKW 9 F_SETLK 8 F_GETLK 6 F_SETFL 5 F_GETFL 4 F_SETFD 3
F_GETFD 2 F_DUPFD 1 F_OFD_GETLK 30 F_OFD_SETLK 31 F_OFD_SETLKW 32 UNKNOWN 0"""
_PTRACE = """PTRACE_SINGLEBLOCK 38 PTRACE_SYSEMU_SINGLESTEP 37 PTRACE_SYSEMU 36
PTRACE_ARCH_PRCTL 35 PTRACE_SET_THREAD_AREA 34 PTRACE_GET_THREAD_AREA 33
PTRACE_OLDSETOPTIONS 32 PTRACE_SETFPXREGS 31 PTRACE_GETFPXREGS 30 PTRACE_SETFPREGS 29
PTRACE_GETFPREGS 28 PTRACE_SETREGS 27 PTRACE_GETREGS 26 PTRACE_SETSIGMASK 25
PTRACE_GETSIGMASK 24 PTRACE_PEEKSIGINFO 23 PTRACE_LISTEN 22 PTRACE_INTERRUPT 21
PTRACE_SEIZE 20 PTRACE_SETREGSET 19 PTRACE_GETREGSET 18 PTRACE_SETSIGINFO 17
PTRACE_GETSIGINFO 16 PTRACE_GETEVENTMSG 15 PTRACE_SETOPTIONS 14 PTRACE_SYSCALL 13
PTRACE_DETACH 12 PTRACE_ATTACH 11 PTRACE_SINGLESTEP 10 PTRACE_KILL 9 PTRACE_CONT 8
PTRACE_POKEUSR 7 PTRACE_POKEDATA 6 PTRACE_POKETEXT 5 PTRACE_PEEKUSR 4 PTRACE_PEEKDATA 3
PTRACE_PEEKTEXT 2 PTRACE_TRACEME 1 PTRACE_UNKNOWN 0"""
_PROT = """PROT_READ 1 PROT_WRITE 2 PROT_EXEC 4 PROT_SEM 8 PROT_GROWSDOWN 16 PROT_GROWSUP 32
PROT_SAO 64 PROT_NONE 0"""
_MMAP = """MAP_SHARED 1 MAP_PRIVATE 2 MAP_FIXED 4 MAP_ANONYMOUS 8 MAP_32BIT 16 MAP_RENAME 32
MAP_NORESERVE 64 MAP_POPULATE 128 MAP_NONBLOCK 256 MAP_GROWSDOWN 512 MAP_DENYWRITE 1024
MAP_EXECUTABLE 2048 MAP_INHERIT 4096 MAP_FILE 8192 MAP_LOCKED 16384"""
_ACCESS = "F_OK 0 R_OK 4 W_OK 2 X_OK 1"
_RLIMIT = """RLIMIT_UNKNOWN 255 RLIMIT_RTTIME 15 RLIMIT_RTPRIO 14 RLIMIT_NICE 13
RLIMIT_MSGQUEUE 12 RLIMIT_SIGPENDING 11 RLIMIT_LOCKS 10 RLIMIT_AS 9 RLIMIT_MEMLOCK 8
RLIMIT_NOFILE 7 RLIMIT_NPROC 6 RLIMIT_RSS 5 RLIMIT_CORE 4 RLIMIT_STACK 3 RLIMIT_DATA 2
RLIMIT_FSIZE 1 RLIMIT_CPU 0"""
_LSEEK = "SEEK_END 2 SEEK_CUR 1 SEEK_SET 0"
_SHUTDOWN = "SHUT_RDWR 2 SHUT_WR 1 SHUT_RD 0"
_FLOCK = "LOCK_SH 1 LOCK_EX 2 LOCK_NB 4 LOCK_UN 8 LOCK_NONE 0"
_POLL = """POLLIN 1 POLLPRI 2 POLLOUT 4 POLLRDHUP 8 POLLERR 16 POLLHUP 32 POLLNVAL 64
POLLRDNORM 128 POLLRDBAND 256 POLLWRNORM 512 POLLWRBAND 1024"""
_MOUNT = """RDONLY 1 NOSUID 2 NODEV 4 NOEXEC 8 SYNCHRONOUS 16 REMOUNT 32 MANDLOCK 64
DIRSYNC 128 NOATIME 1024 NODIRATIME 2048 BIND 4096 MOVE 8192 REC 16384 SILENT 32768
POSIXACL 65536 UNBINDABLE 131072 PRIVATE 262144 SLAVE 524288 SHARED 1048576
RELATIME 2097152 KERNMOUNT 4194304 I_VERSION 8388608 STRICTATIME 16777216
LAZYTIME 33554432 NOSEC 268435456 BORN 536870912 ACTIVE 1073741824 NOUSER 2147483648"""
_UMOUNT = "FORCE 1 DETACH 2 EXPIRE 4 NOFOLLOW 8"


def _table(text: str) -> tuple[tuple[str, int], ...]:
    words = text.split()
    return tuple((words[i], int(words[i + 1])) for i in range(0, len(words), 2))


TABLES: dict[str, tuple[tuple[str, int], ...]] = {
    "file": _table(_FILE),
    "socket_families": _table(_FAMILIES),
    "clone": _table(_CLONE),
    "futex": _table(_FUTEX),
    "fcntl": _table(_FCNTL),
    "ptrace": _table(_PTRACE),
    "prot": _table(_PROT),
    "mmap": _table(_MMAP),
    "access": _table(_ACCESS),
    "rlimit": _table(_RLIMIT),
    "lseek": _table(_LSEEK),
    "shutdown": _table(_SHUTDOWN),
    "flock": _table(_FLOCK),
    "poll": _table(_POLL),
    "mount": _table(_MOUNT),
    "umount": _table(_UMOUNT),
}

# Which table names a parameter: by (event, parameter), then by parameter alone.
_BY_EVENT: dict[tuple[str, str], str] = {
    **{(e, "flags"): "file" for e in ("open", "openat", "openat2", "creat", "open_by_handle_at",
                                      "userfaultfd", "dup3", "pipe2")},
    **{(e, "flags"): "clone" for e in ("clone", "clone3", "fork", "vfork")},
    **{(e, "nstype"): "clone" for e in ("setns",)},
    ("unshare", "flags"): "clone",
    ("mmap", "flags"): "mmap",
    ("mmap2", "flags"): "mmap",
    ("mount", "flags"): "mount",
    ("umount", "flags"): "umount",
    ("umount2", "flags"): "umount",
    ("futex", "op"): "futex",
    ("fcntl", "cmd"): "fcntl",
    ("ptrace", "request"): "ptrace",
    ("access", "mode"): "access",
    ("flock", "operation"): "flock",
    ("shutdown", "how"): "shutdown",
}  # fmt: skip
_BY_PARAM = {"domain": "socket_families", "prot": "prot", "resource": "rlimit",
             "whence": "lseek"}  # fmt: skip


def table_for(event: str, param: str) -> str | None:
    """The name of the flag table of an event's parameter, if it has one."""
    return _BY_EVENT.get((event, param)) or _BY_PARAM.get(param)


def render(table: str, value: int) -> str:
    """``value`` as Falco names it with ``table`` (``""`` if nothing matches)."""
    entries = TABLES.get(table, ())
    left = value
    names: list[str] = []
    for name, bits in entries:
        if bits and left & bits == bits:
            names.append(name)
            left &= ~bits
            if not left:
                break
    if not names and value == 0:
        names = [name for name, bits in entries if bits == 0][:1]
    return "|".join(names)


def render_param(event: str, param: str, value: int) -> str | None:
    """Falco's rendering of a flag/enum parameter, or None if it is not one."""
    table = table_for(event, param)
    return render(table, value) if table is not None else None
