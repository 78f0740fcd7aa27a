"""Which syscalls the sensor captures and how each becomes a Falco exit event.

One row per Falco event: its syscall, how the kernel side must read each argument (the
``K_*`` kinds the BPF program interprets), extra kernel lookups (``X_*``), and the Falco
exit parameters in Falco's order (falcosecurity/libs ``driver/event_table.c``), each with
the source the decoder takes it from (mini-language compiled by ``decode.py``):

``ret`` the return value, ``a<i>`` raw argument i (``:fd`` / ``:i32`` / ``:u32`` casts),
``path<i>`` absolute path of argument i (joined with its directory when relative),
``str<i>`` user string, ``addr<i>`` socket address, ``fds<i>.<j>`` one fd of an int[2],
``u64<i>.<k>`` the k-th u64 of a user struct, ``tuple`` socket tuple (``tuple_r``
reversed, for accept), ``dev``/``ino`` of the file, and
process fields (``exe``, ``args``, ``cwd`` ...) for execve/clone.

Syscall numbers are x86_64's; other architectures are not supported yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from mamori.sensor.layout import (
    EV_PROCEXIT,
    K_FDPAIR,
    K_MSGHDR,
    K_PATH,
    K_PATH_AT,
    K_SOCKADDR,
    K_SOCKADDR_LP,
    K_STR,
    K_U64PTR,
    X_CLONE,
    X_EXEC,
    X_FILE_RET,
    X_TUPLE_A0,
    X_TUPLE_RET,
)


@dataclass(frozen=True)
class EventSpec:
    name: str  # Falco event name
    nr: int  # x86_64 syscall number (EV_PROCEXIT for procexit)
    kinds: dict[int, int]  # argument index -> K_* kind
    params: tuple[tuple[str, str], ...]  # (Falco parameter, source)
    extra: int = 0
    dirfd: dict[int, int] | None = None  # argument index -> index of its dirfd argument


def _p(spec: str) -> tuple[tuple[str, str], ...]:
    """ "fd=ret name=path1" -> (("fd", "ret"), ("name", "path1"))."""
    return tuple((k, v) for k, _, v in (item.partition("=") for item in spec.split()))


# an open's mode counts only when it can create (values.open_mode)
_OPENAT = _p(
    "fd=ret dirfd=a0:fd name=path1 flags=a2:u32 " + "mode=openmode(a2:u32,a3:u32) dev=dev ino=ino"
)
_OPENAT2 = _p(
    "fd=ret dirfd=a0:fd name=path1 flags=u642.0 mode=openmode(u642.0,u642.1) "
    + "resolve=u642.2 dev=dev ino=ino"
)
_EXEC = _p(
    "res=ret exe=exe args=args tid=tid pid=pid ptid=ptid cwd=cwd fdlimit=fdlimit comm=comm "
    "env=env tty=tty pgid=pgid loginuid=loginuid flags=pflags cap_inheritable=cap_inheritable "
    "cap_permitted=cap_permitted cap_effective=cap_effective exe_ino=exe_ino "
    "exe_ino_ctime=exe_ino_ctime exe_ino_mtime=exe_ino_mtime uid=euid "
    "trusted_exepath=exepath gid=egid exe_dev=exe_dev exe_deleted=exe_deleted "
    "exe_upper_layer=exe_upper_layer exe_from_memfd=exe_from_memfd"
)
_CLONE = (
    "res=ret exe=exe args=args tid=tid pid=pid ptid=ptid fdlimit=fdlimit comm=comm "
    "uid=euid gid=egid vtid=vtid vpid=vpid pidns_init_start_ts=pidns_init_start_ts"
)
_AT = {1: 0}

SPECS: tuple[EventSpec, ...] = (
    # processes
    EventSpec("execve", 59, {}, _EXEC, X_EXEC),
    EventSpec("execveat", 322, {}, _EXEC, X_EXEC),
    EventSpec("clone", 56, {}, _p(_CLONE + " flags=a0"), X_CLONE),
    EventSpec("fork", 57, {}, _p(_CLONE + " flags=const0"), X_CLONE),
    EventSpec("vfork", 58, {}, _p(_CLONE + " flags=const0x4100"), X_CLONE),
    EventSpec("clone3", 435, {0: K_U64PTR}, _p(_CLONE + " flags=u640.0"), X_CLONE),
    EventSpec("procexit", EV_PROCEXIT, {}, _p("status=ret ret=exitret sig=exitsig core=exitcore")),
    # files
    EventSpec(
        "open",
        2,
        {0: K_PATH},
        _p("fd=ret name=path0 flags=a1:u32 mode=openmode(a1:u32,a2:u32) dev=dev ino=ino"),
        X_FILE_RET,
    ),
    EventSpec(
        "openat",
        257,
        {1: K_PATH_AT},
        _OPENAT,
        X_FILE_RET,
        _AT,
    ),
    EventSpec(
        "openat2",
        437,
        {1: K_PATH_AT, 2: K_U64PTR},
        _OPENAT2,
        X_FILE_RET,
        _AT,
    ),
    EventSpec(
        "creat",
        85,
        {0: K_PATH},
        _p("fd=ret name=path0 mode=openmode(const0o100,a1:u32) dev=dev ino=ino"),
        X_FILE_RET,
    ),
    EventSpec("rename", 82, {0: K_PATH, 1: K_PATH}, _p("res=ret oldpath=path0 newpath=path1")),
    EventSpec(
        "renameat",
        264,
        {1: K_PATH_AT, 3: K_PATH_AT},
        _p("res=ret olddirfd=a0:fd oldpath=path1 newdirfd=a2:fd newpath=path3"),
        0,
        {1: 0, 3: 2},
    ),
    EventSpec(
        "renameat2",
        316,
        {1: K_PATH_AT, 3: K_PATH_AT},
        _p("res=ret olddirfd=a0:fd oldpath=path1 newdirfd=a2:fd newpath=path3 flags=a4:u32"),
        0,
        {1: 0, 3: 2},
    ),
    EventSpec("unlink", 87, {0: K_PATH}, _p("res=ret path=path0")),
    EventSpec(
        "unlinkat", 263, {1: K_PATH_AT}, _p("res=ret dirfd=a0:fd name=path1 flags=a2:u32"), 0, _AT
    ),
    EventSpec("rmdir", 84, {0: K_PATH}, _p("res=ret path=path0")),
    EventSpec("mkdir", 83, {0: K_PATH}, _p("res=ret path=path0 mode=a1:u32")),
    EventSpec(
        "mkdirat", 258, {1: K_PATH_AT}, _p("res=ret dirfd=a0:fd path=path1 mode=a2:u32"), 0, _AT
    ),
    EventSpec("chmod", 90, {0: K_PATH}, _p("res=ret filename=path0 mode=a1:u32")),
    EventSpec("fchmod", 91, {}, _p("res=ret fd=a0:fd mode=a1:u32")),
    EventSpec(
        "fchmodat",
        268,
        {1: K_PATH_AT},
        _p("res=ret dirfd=a0:fd filename=path1 mode=a2:u32"),
        0,
        _AT,
    ),
    EventSpec("chown", 92, {0: K_PATH}, _p("res=ret path=path0 uid=a1:u32 gid=a2:u32")),
    EventSpec("lchown", 94, {0: K_PATH}, _p("res=ret path=path0 uid=a1:u32 gid=a2:u32")),
    EventSpec("fchown", 93, {}, _p("res=ret fd=a0:fd uid=a1:u32 gid=a2:u32")),
    EventSpec(
        "fchownat",
        260,
        {1: K_PATH_AT},
        _p("res=ret dirfd=a0:fd pathname=path1 uid=a2:u32 gid=a3:u32 flags=a4:u32"),
        0,
        _AT,
    ),
    EventSpec("symlink", 88, {0: K_STR, 1: K_PATH}, _p("res=ret target=str0 linkpath=path1")),
    EventSpec(
        "symlinkat",
        266,
        {0: K_STR, 2: K_PATH_AT},
        _p("res=ret target=str0 linkdirfd=a1:fd linkpath=path2"),
        0,
        {2: 1},
    ),
    EventSpec("link", 86, {0: K_PATH, 1: K_PATH}, _p("res=ret oldpath=path0 newpath=path1")),
    EventSpec(
        "linkat",
        265,
        {1: K_PATH_AT, 3: K_PATH_AT},
        _p("res=ret olddir=a0:fd oldpath=path1 newdir=a2:fd newpath=path3 flags=a4:u32"),
        0,
        {1: 0, 3: 2},
    ),
    EventSpec("memfd_create", 319, {0: K_STR}, _p("fd=ret name=str0 flags=a1:u32")),
    EventSpec(
        "mount",
        165,
        {0: K_STR, 1: K_PATH, 2: K_STR},
        _p("res=ret dev=str0 dir=path1 type=str2 flags=a3:u32"),
    ),
    EventSpec("umount2", 166, {0: K_PATH}, _p("res=ret name=path0 flags=a1:u32")),
    EventSpec("chdir", 80, {0: K_PATH}, _p("res=ret path=path0")),
    EventSpec("fchdir", 81, {}, _p("res=ret fd=a0:fd")),
    EventSpec("chroot", 161, {0: K_PATH}, _p("res=ret path=path0")),
    # privileges, kernel, namespaces, signals
    EventSpec("ptrace", 101, {}, _p("res=ret request=a0:u32 pid=a1:i32 addr=a2 data=a3")),
    EventSpec("setuid", 105, {}, _p("res=ret uid=a0:u32")),
    EventSpec("setgid", 106, {}, _p("res=ret gid=a0:u32")),
    EventSpec("setreuid", 113, {}, _p("res=ret ruid=a0:u32 euid=a1:u32")),
    EventSpec("setregid", 114, {}, _p("res=ret rgid=a0:u32 egid=a1:u32")),
    EventSpec("setresuid", 117, {}, _p("res=ret ruid=a0:u32 euid=a1:u32 suid=a2:u32")),
    EventSpec("setresgid", 119, {}, _p("res=ret rgid=a0:u32 egid=a1:u32 sgid=a2:u32")),
    EventSpec(
        "capset",
        126,
        {},
        _p(
            "res=ret cap_inheritable=cap_inheritable "
            "cap_permitted=cap_permitted cap_effective=cap_effective"
        ),
        X_CLONE,
    ),
    EventSpec("init_module", 175, {2: K_STR}, _p("res=ret length=a1 uargs=str2")),
    EventSpec("finit_module", 313, {1: K_STR}, _p("res=ret fd=a0:fd uargs=str1 flags=a2:u32")),
    EventSpec("bpf", 321, {}, _p("fd=ret cmd=a0:i32")),
    EventSpec("prctl", 157, {}, _p("res=ret option=a0:u32 arg2_int=a1")),
    EventSpec("setns", 308, {}, _p("res=ret fd=a0:fd nstype=a1:u32")),
    EventSpec("unshare", 272, {}, _p("res=ret flags=a0:u32")),
    EventSpec("kill", 62, {}, _p("res=ret pid=a0:i32 sig=a1:u32")),
    EventSpec("tkill", 200, {}, _p("res=ret tid=a0:i32 sig=a1:u32")),
    EventSpec("tgkill", 234, {}, _p("res=ret pid=a0:i32 tid=a1:i32 sig=a2:u32")),
    # network
    EventSpec("socket", 41, {}, _p("fd=ret domain=a0:u32 type=a1:u32 proto=a2:u32")),
    EventSpec(
        "socketpair",
        53,
        {3: K_FDPAIR},
        _p("res=ret fd1=fds3.0 fd2=fds3.1 domain=a0:u32 type=a1:u32 proto=a2:u32"),
    ),
    EventSpec(
        "connect", 42, {1: K_SOCKADDR}, _p("res=ret tuple=tuple fd=a0:fd addr=addr1"), X_TUPLE_A0
    ),
    EventSpec("accept", 43, {}, _p("fd=ret tuple=tuple_r"), X_TUPLE_RET),
    EventSpec("accept4", 288, {}, _p("fd=ret tuple=tuple_r flags=a3:u32"), X_TUPLE_RET),
    EventSpec("bind", 49, {1: K_SOCKADDR}, _p("res=ret addr=addr1 fd=a0:fd")),
    EventSpec("listen", 50, {}, _p("res=ret fd=a0:fd backlog=a1:i32")),
    EventSpec(
        "sendto",
        44,
        {4: K_SOCKADDR},
        _p("res=ret fd=a0:fd size=a2:u32 tuple=tuple addr=addr4"),
        X_TUPLE_A0,
    ),
    EventSpec(
        "sendmsg", 46, {1: K_MSGHDR}, _p("res=ret fd=a0:fd tuple=tuple addr=addr1"), X_TUPLE_A0
    ),
    EventSpec(
        "recvfrom",
        45,
        {4: K_SOCKADDR_LP},
        _p("res=ret fd=a0:fd size=a2:u32 tuple=tuple addr=addr4"),
        X_TUPLE_A0,
    ),
    EventSpec(
        "recvmsg", 47, {1: K_MSGHDR}, _p("res=ret fd=a0:fd tuple=tuple addr=addr1"), X_TUPLE_A0
    ),
    # fd bookkeeping
    EventSpec("close", 3, {}, _p("res=ret fd=a0:fd")),
    EventSpec("dup", 32, {}, _p("res=ret oldfd=a0:fd")),
    EventSpec("dup2", 33, {}, _p("res=ret oldfd=a0:fd newfd=a1:fd")),
    EventSpec("dup3", 292, {}, _p("res=ret oldfd=a0:fd newfd=a1:fd flags=a2:u32")),
    EventSpec("pipe", 22, {0: K_FDPAIR}, _p("res=ret fd1=fds0.0 fd2=fds0.1")),
    EventSpec("pipe2", 293, {0: K_FDPAIR}, _p("res=ret fd1=fds0.0 fd2=fds0.1 flags=a1:u32")),
    EventSpec("fcntl", 72, {}, _p("res=ret fd=a0:fd cmd=a1:u32")),
)

BY_NAME: dict[str, EventSpec] = {s.name: s for s in SPECS}
BY_NR: dict[int, EventSpec] = {s.nr: s for s in SPECS}
EVENT_TYPES: frozenset[str] = frozenset(BY_NAME)
DEFAULT_EVENT_TYPES: frozenset[str] = EVENT_TYPES - {
    "sendto", "sendmsg", "recvfrom", "recvmsg", "fcntl", "tkill", "tgkill",
}  # fmt: skip
"""What a sensor started without a list captures: everything but the chatty data-path calls
(sendto/sendmsg/recvfrom/recvmsg, fcntl, tkill/tgkill) that rules rarely need."""
