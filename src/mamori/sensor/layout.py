"""The binary layout of sensor records: mirrors ``bpf/sensor.h`` (change both together).

A record is a fixed 136-byte header (``HEADER``) then tagged blobs
``[u8 tag][u16 len][len bytes]`` up to the header's ``size``.
"""

from __future__ import annotations

import struct

NR_SYSCALLS = 512
EV_PROCEXIT = 1000

# argument kinds (struct sc_spec.kind)
K_NONE = 0
K_PATH = 1
K_PATH_AT = 2
K_STR = 3
K_SOCKADDR = 4
K_SOCKADDR_LP = 5
K_MSGHDR = 6
K_FDPAIR = 7
K_U64PTR = 8

# struct sc_spec.extra bits
X_TUPLE_A0 = 1
X_TUPLE_RET = 2
X_FILE_RET = 4
X_EXEC = 8
X_CLONE = 16
X_FILE_A0 = 32

# blob tags
T_ARG0 = 0
T_BASE0 = 8
T_TUPLE = 16
T_FILE = 17
T_EXE = 18
T_ARGV = 19
T_CWD = 20
T_PROC = 21
T_ENV = 22
REPEAT = 100  # the k-th repeat of a tag is stored under tag + k * REPEAT

# proc/file flags: Falco's execve "flags" bits, then ours
PF_EXE_WRITABLE = 1
PF_EXE_UPPER_LAYER = 2
PF_EXE_FROM_MEMFD = 4
PF_EXE_LOWER_LAYER = 8
PF_EXE_DELETED = 0x10000

HEADER = struct.Struct("<HHHHQ10IQq6Q16s")
"""size, nr, cpu, flags, ts, tid, pid, ppid, uid, gid, euid, loginuid, pidns, mntns, netns,
cgroup_id, ret, a0..a5, comm."""
H_SIZE, H_NR, H_CPU, H_FLAGS, H_TS, H_TID, H_PID, H_PPID = range(8)
H_UID, H_GID, H_EUID, H_LOGINUID, H_PIDNS, H_MNTNS, H_NETNS, H_CGROUP, H_RET = range(8, 17)
H_A0 = 17
H_COMM = 23

SPEC = struct.Struct("<B6B6BB")  # struct sc_spec
CONFIG = struct.Struct("<IIII")  # struct sensor_config
PROC = struct.Struct("<8Q8I")  # struct proc_blob
FILE = struct.Struct("<QII")  # struct file_blob
TUPLE_INET = struct.Struct("<HHHH16s16s")  # struct tuple_inet

C_CAPTURED, C_DROPS = 0, 1

assert HEADER.size == 136
assert PROC.size == 96
