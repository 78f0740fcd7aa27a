"""The binary layout of sensor records: mirrors ``bpf/sensor.h`` (change both together).

A record is a fixed 136-byte header (``HEADER``: ``FIXED`` per-event values, then the
``CTX`` task context block) then tagged blobs
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

HEADER = struct.Struct("<HHHHQq6QI9IQ16s")
"""size, nr, cpu, flags, ts, ret, a0..a5, tid, then the task context block: pid, ppid, uid,
gid, euid, loginuid, pidns, mntns, netns, cgroup_id, comm."""
H_SIZE, H_NR, H_CPU, H_FLAGS, H_TS, H_RET = range(6)
H_A0 = 6
H_TID = 12

FIXED = struct.Struct("<HHHxxQq6QI")
"""The per-event part of the header: size, nr, cpu, ts, ret, a0..a5, tid (12 values)."""

CTX_OFFSET = FIXED.size
CTX = struct.Struct("<9IQ16s")
"""The task context block at CTX_OFFSET: pid, ppid, uid, gid, euid, loginuid, pidns, mntns,
netns, cgroup_id, comm. Identical bytes mean an identical ``TaskContext``."""

RING_HDR = 8
"""Each ring record is preceded by the kernel's 8-byte header (u32 length + flags, u32
page offset); records are 8-byte aligned."""
RING_FIXED = struct.Struct("<I4x" + FIXED.format[1:])
"""The ring header word, then FIXED: one unpack per record, the ``h`` tuple decoders see."""
R_WORD, R_SIZE, R_NR, R_CPU, R_TS, R_RET, R_A0, R_TID = 0, 1, 2, 3, 4, 5, 6, 12

SPEC = struct.Struct("<B6B6BB")  # struct sc_spec
CONFIG = struct.Struct("<IIII")  # struct sensor_config
PROC = struct.Struct("<8Q8I")  # struct proc_blob
FILE = struct.Struct("<QII")  # struct file_blob
TUPLE_INET = struct.Struct("<HHHH16s16s")  # struct tuple_inet

C_CAPTURED, C_DROPS = 0, 1

assert HEADER.size == 136
assert CTX_OFFSET + CTX.size == HEADER.size
assert PROC.size == 96
