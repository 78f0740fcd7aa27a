"""The netlink process connector: fork, exec, exit and credential changes of every task.

The kernel multicasts a ``struct proc_event`` (linux/cn_proc.h) per event to listeners of
CN_IDX_PROC once one of them asked for it (PROC_CN_MCAST_LISTEN). Each carries pids, a
CPU and a CLOCK_MONOTONIC timestamp, nothing else: exec details come from /proc, racily
(``procinfo.exec_params``; the parameters it could not read are listed in the event's
``missed`` parameter).

Mapping to Falco events: fork/clone -> ``clone`` exit on the parent's thread (``res`` =
the child's tid; for a new thread ``flags`` is CLONE_THREAD and the event is on the
process's main thread, the creating thread being unknown; ``flags`` is left out for a
process);
exec -> ``execve`` exit (``res`` 0: only successful execs are reported); exit ->
``procexit`` (``status`` is the wait status); uid/gid changes -> ``setresuid`` /
``setresgid`` exits with ``ruid``/``euid`` (``suid`` unknown; an exec of a set-uid file
reports one too); ptrace attach -> ``ptrace`` exit with request PTRACE_ATTACH.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import struct
import time
from typing import NamedTuple

from mamori.model.events import Param, SyscallEvent
from mamori.sensor.fallback import netlink
from mamori.sensor.fallback.procinfo import ContextCache, exec_params
from mamori.sensor.ppm import clone_flags, ptrace_request

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
PROC_CN_MCAST_IGNORE = 2

FORK, EXEC, UID, GID, SID, PTRACE, COMM = 0x1, 0x2, 0x4, 0x40, 0x80, 0x100, 0x200
COREDUMP, EXIT = 0x40000000, 0x80000000
CLONE_THREAD = 0x10000
PTRACE_ATTACH = 16
# params carry Falco's encodings (model/events.py), converted once
_PPM_CLONE_THREAD, _PPM_PTRACE_ATTACH = clone_flags(CLONE_THREAD), ptrace_request(PTRACE_ATTACH)

_CN_MSG = struct.Struct("=IIIIHH")  # idx, val, seq, ack, len, flags
_HEAD = struct.Struct("=IIQ")  # what, cpu, timestamp_ns
_COUNTS = {FORK: 4, EXEC: 2, UID: 4, GID: 4, SID: 2, PTRACE: 4, COMM: 2, COREDUMP: 4, EXIT: 6}
_COMM = 16

EVENT_TYPES = frozenset({"clone", "execve", "procexit", "setresuid", "setresgid", "ptrace"})


class ProcEvent(NamedTuple):
    what: int
    cpu: int
    mono_ns: int
    ids: tuple[int, ...]  # the event's integer fields in cn_proc.h order
    comm: str = ""


def parse(data: bytes) -> list[ProcEvent]:
    """The proc events of one datagram; unknown or truncated ones are skipped."""
    out = []
    for msg in netlink.messages(data):
        body = msg.payload
        if len(body) < _CN_MSG.size + _HEAD.size:
            continue
        idx, val, _, _, length, _ = _CN_MSG.unpack_from(body)
        if (idx, val) != (CN_IDX_PROC, CN_VAL_PROC):
            continue
        event = body[_CN_MSG.size : _CN_MSG.size + length]
        if len(event) < _HEAD.size:
            continue
        what, cpu, mono = _HEAD.unpack_from(event)
        count = _COUNTS.get(what)
        if count is None or len(event) < _HEAD.size + 4 * count:
            continue
        ids = struct.unpack_from(f"={count}I", event, _HEAD.size)
        comm = ""
        if what == COMM:
            raw = event[_HEAD.size + 8 : _HEAD.size + 8 + _COMM]
            comm = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
        out.append(ProcEvent(what, cpu, mono, ids, comm))
    return out


def _control(op: int) -> bytes:
    cn = _CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, 0, 4, 0) + struct.pack("=I", op)
    return netlink.pack(netlink.NLMSG_DONE, 0, 0, cn)


def probe() -> tuple[bool, str]:
    try:
        sock = netlink.open_socket(NETLINK_CONNECTOR, CN_IDX_PROC, socket.SOCK_DGRAM)
    except OSError as exc:
        return False, f"proc connector: {exc.strerror} (needs root, in the initial net namespace)"
    sock.close()
    return True, "proc connector (fork, exec, exit)"


class ProcConnectorSource:
    """Reads proc events and turns them into Falco-named events for ``wanted`` types."""

    name = "proc connector"

    def __init__(self, cache: ContextCache, wanted: frozenset[str]) -> None:
        self.cache = cache
        self.wanted = wanted
        self.sock: socket.socket | None = None
        self.overruns = 0
        self.malformed = 0
        self._offset = time.time_ns() - time.monotonic_ns()
        self._self = 0

    def start(self) -> None:
        self._self = os.getpid()
        sock = netlink.open_socket(NETLINK_CONNECTOR, CN_IDX_PROC, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, netlink.SO_RCVBUFFORCE, 8 << 20)
            sock.send(_control(PROC_CN_MCAST_LISTEN))
        except OSError:
            sock.close()
            raise
        self.sock = sock

    def stop(self) -> None:
        if self.sock is None:
            return
        with contextlib.suppress(OSError):
            self.sock.send(_control(PROC_CN_MCAST_IGNORE))
        self.sock.close()
        self.sock = None

    def fileno(self) -> int:
        return self.sock.fileno() if self.sock is not None else -1

    def read(self, limit: int) -> list[SyscallEvent]:
        out: list[SyscallEvent] = []
        while self.sock is not None and len(out) < limit:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:  # the socket buffer overflowed: events lost
                    self.overruns += 1
                    continue
                raise
            for ev in parse(data):
                event = self.convert(ev)
                if event is not None:
                    out.append(event)
        return out

    def convert(self, ev: ProcEvent) -> SyscallEvent | None:
        ts = ev.mono_ns + self._offset
        ids = ev.ids
        if ev.what == FORK:
            ptid, ppid, ctid, cpid = ids
            if ctid != cpid:
                # a thread's real parent is its process's parent: the thread that
                # created it is unknown, the event is put on the process's main thread
                params: dict[str, Param] = {"res": ctid, "tid": cpid, "pid": cpid}
                params["flags"] = _PPM_CLONE_THREAD
                return self._event(ts, cpid, cpid, "clone", "<", params, ev.cpu)
            self.cache.inherit(cpid, ppid)
            params = {"res": ctid, "tid": ptid, "pid": ppid}
            return self._event(ts, ptid, ppid, "clone", "<", params, ev.cpu)
        if ev.what == EXEC:
            tid, pid = ids
            if "execve" not in self.wanted:  # another source reports execs
                self.cache.forget(pid)
                return None
            params, missed = exec_params(pid, self.cache.proc)
            params = {"res": 0, "tid": tid, "pid": pid, **params}
            if missed:
                params["missed"] = missed
            self.cache.refresh(pid)
            return self._event(ts, tid, pid, "execve", "<", params, ev.cpu)
        if ev.what == EXIT:
            tid, pid, code = ids[0], ids[1], ids[2]
            params = {"status": code, "ret": code >> 8 & 0xFF, "sig": code & 0x7F}
            params["core"] = int(bool(code & 0x80))
            event = self._event(ts, tid, pid, "procexit", ">", params, ev.cpu)
            if tid == pid:
                self.cache.forget(pid)
            return event
        if ev.what in (UID, GID):
            tid, pid, real, eff = ids
            if ev.what == UID:
                self.cache.update(pid, uid=real, euid=eff)
                return self._event(
                    ts, tid, pid, "setresuid", "<", {"res": 0, "ruid": real, "euid": eff}, ev.cpu
                )
            self.cache.update(pid, gid=real)
            return self._event(
                ts, tid, pid, "setresgid", "<", {"res": 0, "rgid": real, "egid": eff}, ev.cpu
            )
        if ev.what == COMM:
            self.cache.update(ids[1], comm=ev.comm)
        elif ev.what == PTRACE and ids[2]:
            params = {"res": 0, "request": _PPM_PTRACE_ATTACH, "pid": ids[1]}
            return self._event(ts, ids[2], ids[3], "ptrace", "<", params, ev.cpu)
        return None

    def _event(
        self, ts: int, tid: int, pid: int, name: str, d: str, params: dict[str, Param], cpu: int
    ) -> SyscallEvent | None:
        if name not in self.wanted or pid == self._self:
            return None
        return SyscallEvent(ts, tid, name, d, params, cpu, 0, self.cache.get(pid))
