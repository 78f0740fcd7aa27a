"""Audit over netlink: exec arguments and socket addresses from the kernel's audit.

``start`` registers this process as the audit daemon (AUDIT_SET pid) on its record
socket, turns off the backlog wait (a slow reader must drop records, never stall the
host's execs), and adds one exit rule per syscall group, tagged with the key ``KEY`` and
excluding this process. ``stop`` deletes exactly those rules, unregisters and restores
the settings it changed; start also deletes rules a crashed earlier run left behind
(same key), and an ``atexit`` hook stops a source that was never stopped. When another
audit daemon (auditd) is registered, the source does not take over: ``probe`` and
``start`` say so and the sensor runs without audit.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import socket
import weakref

from mamori.model.events import SyscallEvent
from mamori.sensor.fallback import audit_netlink as an
from mamori.sensor.fallback import netlink
from mamori.sensor.fallback.audit_records import (
    SYSCALLS,
    Assembler,
    Group,
    build,
    parse_record,
)
from mamori.sensor.fallback.procinfo import ContextCache

EVENT_TYPES = frozenset(SYSCALLS.values())
BACKLOG = 8192


class AuditUnavailableError(RuntimeError):
    """Audit cannot be used here; the message says why."""


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except OSError:
        return "gone"


def check(status: an.AuditStatus) -> None:
    if status.pid and status.pid != os.getpid() and os.path.exists(f"/proc/{status.pid}"):
        raise AuditUnavailableError(
            f"audit: another audit daemon owns the audit socket ({_comm(status.pid)}, pid "
            f"{status.pid}); mamori does not take it over (stop it to use audit events)"
        )
    if status.enabled == 2:
        raise AuditUnavailableError("audit: the audit configuration is locked (enabled=2)")


def probe() -> tuple[bool, str]:
    try:
        with an.AuditControl() as ctl:
            check(ctl.status())
    except AuditUnavailableError as exc:
        return False, str(exc)
    except OSError as exc:
        return False, f"audit: {exc.strerror or exc} (needs CAP_AUDIT_CONTROL)"
    return True, "audit (exec arguments, connect/accept/bind addresses)"


def _stop_at_exit(ref: weakref.ref[AuditSource]) -> None:
    source = ref()
    if source is not None:
        source.stop()


class AuditSource:
    """Audit records for the wanted syscalls as Falco-named events."""

    name = "audit"

    def __init__(self, cache: ContextCache, wanted: frozenset[str]) -> None:
        self.cache = cache
        self.wanted = wanted & EVENT_TYPES
        self.sock: socket.socket | None = None
        self.assembler = Assembler()
        self.malformed = 0
        self._ctl: an.AuditControl | None = None
        self._added: list[an.Rule] = []
        self._saved: an.AuditStatus | None = None
        self._lost0 = 0
        self._lost = 0

    def rules(self) -> list[an.Rule]:
        me = os.getpid()
        numbers = tuple(nr for nr, name in SYSCALLS.items() if name in self.wanted)
        fields = ((an.AUDIT_ARCH, an.AUDIT_EQUAL, an.AUDIT_ARCH_X86_64),
                  (an.AUDIT_PID, an.AUDIT_NOT_EQUAL, me))  # fmt: skip
        return [an.Rule(numbers, fields, an.KEY)] if numbers else []

    def start(self) -> None:
        ctl = an.AuditControl()
        self._ctl = ctl
        try:
            status = ctl.status()
            check(status)
            for _, raw in ctl.rules_with_key():  # left behind by a run that crashed
                ctl.delete_rule(raw)
            sock = netlink.open_socket(an.NETLINK_AUDIT, 0)
            self.sock = sock
            sock.setsockopt(socket.SOL_SOCKET, netlink.SO_RCVBUFFORCE, 8 << 20)
            mask = an.STATUS_PID | an.STATUS_ENABLED | an.STATUS_BACKLOG_LIMIT
            mask |= an.STATUS_WAIT_TIME
            backlog = max(status.backlog_limit, BACKLOG)
            payload = an.pack_status(mask, enabled=max(status.enabled, 1), pid=os.getpid(),
                                     backlog_limit=backlog, wait_time=0)  # fmt: skip
            an.exchange(sock, 1, an.AUDIT_SET, payload, 2.0)
            self._saved = status
            self._lost0 = status.lost
            for rule in self.rules():
                ctl.add_rule(rule)
                self._added.append(rule)
        except an.AuditError as exc:
            self.stop()
            if exc.errno == errno.EEXIST:
                raise AuditUnavailableError(
                    "audit: another audit daemon registered while mamori was starting"
                ) from exc
            raise AuditUnavailableError(f"audit: {exc.strerror}") from exc
        except BaseException:
            self.stop()
            raise
        atexit.register(_stop_at_exit, weakref.ref(self))

    def stop(self) -> None:
        """Remove our rules, unregister, restore; every step is tried even if one fails."""
        ctl = self._ctl
        if ctl is not None:
            for rule in self._added:
                with contextlib.suppress(OSError):
                    ctl.delete_rule(an.pack_rule(rule))
            self._added.clear()
            with contextlib.suppress(OSError):
                for _, raw in ctl.rules_with_key():
                    ctl.delete_rule(raw)
            saved = self._saved
            if saved is not None:
                mask = an.STATUS_PID | an.STATUS_BACKLOG_LIMIT | an.STATUS_WAIT_TIME
                mask |= an.STATUS_ENABLED if saved.enabled != 1 else 0
                payload = an.pack_status(mask, enabled=saved.enabled, pid=0,
                                         backlog_limit=saved.backlog_limit,
                                         wait_time=saved.backlog_wait_time)  # fmt: skip
                with contextlib.suppress(OSError):
                    ctl.set_status(payload)
                self._saved = None
            ctl.close()
            self._ctl = None
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def fileno(self) -> int:
        return self.sock.fileno() if self.sock is not None else -1

    @property
    def lost_seen(self) -> int:
        """What ``lost`` returned last (no netlink round trip)."""
        return self._lost

    def lost(self) -> int:
        """Records the kernel dropped since start (backlog full)."""
        if self._ctl is None:
            return self._lost
        with contextlib.suppress(OSError):
            self._lost = max(0, self._ctl.status().lost - self._lost0)
        return self._lost

    def read(self, limit: int) -> list[SyscallEvent]:
        out: list[SyscallEvent] = []
        while self.sock is not None and len(out) < limit:
            try:
                data = self.sock.recv(1 << 16)
            except BlockingIOError:
                break
            except OSError:  # ENOBUFS: the socket overflowed, the kernel counts it as lost
                continue
            out.extend(self.convert(data))
        return out

    def convert(self, data: bytes) -> list[SyscallEvent]:
        """One datagram. Audit records' nlmsg_len counts only the payload (a kernel
        quirk), so the record is everything after the 16-byte header."""
        if len(data) < netlink.NLMSG_HDR.size:
            self.malformed += 1
            return []
        _, mtype, _, _, _ = netlink.NLMSG_HDR.unpack_from(data)
        rec = parse_record(mtype, data[netlink.NLMSG_HDR.size :])
        if rec is None:
            return []
        return [e for g in self.assembler.feed(rec) if (e := self._event(g)) is not None]

    def expire(self, now: int, everything: bool = False) -> list[SyscallEvent]:
        groups = self.assembler.expire(now, everything)
        return [e for g in groups if (e := self._event(g)) is not None]

    def _event(self, group: Group) -> SyscallEvent | None:
        built = build(group)
        if built is None or built.event_name not in self.wanted:
            return None
        if built.event_name.startswith("execve") and built.params.get("res") == 0:
            ctx = self.cache.refresh(built.pid)  # a new comm (and maybe credentials)
        else:
            ctx = self.cache.get(built.pid)
        if ctx is not None:
            ctx = ctx._replace(**built.who)  # type: ignore[arg-type]
        return SyscallEvent(built.ts, built.pid, built.event_name, "<", built.params, 0, 0, ctx)
