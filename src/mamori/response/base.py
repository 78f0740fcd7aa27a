"""What every action receives (`ResponseContext`) and returns (`ActionResult`).

An alert names the rule; the context names the things an action acts on: the process
(pid, its start time and executable, so a kill can prove the pid was not reused), its
container and cgroup, the file and the connection the event was about. The agent fills
it from the event view that raised the alert (`ResponseContext.from_view`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from mamori.model.events import AF_INET, AF_INET6, SockTuple

HOST = "host"


class ActionError(Exception):
    """An action could not be done; the message is what the result's ``detail`` says."""


@dataclass(frozen=True, slots=True)
class ResponseContext:
    """The targets of one alert. Every field may be unknown (0 / ""): an action that
    needs one that is missing fails with a clear detail instead of guessing.

    ``start_ts`` is the process's start (ns since the epoch) as the state engine knew
    it; ``event_ts`` the time of the event that raised the alert (ns). ``cgroup`` is
    the process's cgroup v2 path relative to the hierarchy's root (``/machine.slice/
    libpod-<id>.scope``). ``file_path`` is as the process saw it: inside its container
    when ``container_id`` is not ``host`` (reached through ``/proc/<pid>/root``).
    ``remote_addr``/``remote_port`` are a connection's destination."""

    pid: int = 0
    tid: int = 0
    start_ts: int = 0
    event_ts: int = 0
    exe_path: str = ""
    exe_ino: int = 0
    container_id: str = HOST
    cgroup: str = ""
    file_path: str = ""
    remote_addr: str = ""
    remote_port: int = 0

    @classmethod
    def from_view(cls, view: Any) -> ResponseContext:
        """The context of a `mamori.rules.syscall_extract.EventView` (duck-typed: only
        its ``thread``, ``fd``, ``ts``, ``params`` and ``engine`` are read)."""
        thread = getattr(view, "thread", None)
        ts = int(getattr(view, "ts", 0) or 0)
        if thread is None:
            return cls(event_ts=ts)
        engine = getattr(view, "engine", None)
        main = engine.main_thread(thread) if engine is not None else thread
        cgroup = next((c.split("=", 1)[1] for c in thread.cgroups if c.startswith("unified=")), "")
        fd = getattr(view, "fd", None)
        params = getattr(view, "params", {}) or {}
        file_path, addr, port = "", "", 0
        if fd is not None and fd.type == "f":
            file_path = fd.name
        sock = params.get("tuple")  # the connect's own (also when it failed)
        if not isinstance(sock, SockTuple) and fd is not None and fd.type in ("4", "6"):
            sock = fd.tuple
        if isinstance(sock, SockTuple) and sock.family in (AF_INET, AF_INET6):
            addr, port = sock.dst, sock.dport
        if not file_path:
            for key in ("name", "filename", "path", "pathname"):
                value = params.get(key)
                if isinstance(value, str) and value.startswith("/"):
                    file_path = value
                    break
        return cls(
            pid=thread.pid, tid=thread.tid, start_ts=main.clone_ts if main.tid == main.pid else 0,
            event_ts=ts, exe_path=main.exepath, exe_ino=main.exe_ino,
            container_id=thread.container_id or HOST, cgroup=cgroup, file_path=file_path,
            remote_addr=addr, remote_port=port,
        )  # fmt: skip

    def json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k)}


@dataclass(frozen=True, slots=True)
class ActionResult:
    """One action's outcome: done (``ok``), failed or refused (``ok`` False, ``detail``
    says why), or only described (``dry_run``: nothing was changed)."""

    rule: str
    action: str
    target: str
    dry_run: bool
    ok: bool
    detail: str = ""
    time: float = field(default_factory=time.time)
    data: dict[str, Any] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        """The JSON line the responder logs."""
        secs = int(self.time)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
        doc: dict[str, Any] = {
            "time": f"{stamp}.{int((self.time - secs) * 1e6):06d}Z",
            "rule": self.rule,
            "action": self.action,
            "target": self.target,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "detail": self.detail,
        }
        if self.data:
            doc["data"] = self.data
        return doc
