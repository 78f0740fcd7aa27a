"""Act on the alert's container: kill all its processes (its cgroup), or stop it
through podman's API.

The container's cgroup is the topmost directory of the process's cgroup v2 path whose
name carries the container id (runtimes nest a ``container`` or ``init`` child under
the container's own directory). It is refused when it is the root, when the id does not
appear in it (a host process must never take its slice down), or when pid 1 or the
agent live in it or below it. ``cgroup.kill`` (Linux 5.14) kills the subtree in one
write; without it, every pid of ``cgroup.procs`` below the directory is killed through
a pidfd, rounds repeated until the cgroup is empty (a fork between rounds is caught by
the next one).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx

from mamori.response.base import HOST, ActionError, ResponseContext
from mamori.response.procs import PROC, protected

DEFAULT_SOCKET = Path("/run/podman/podman.sock")
_ROUNDS = 20
_EMPTY_WAIT = 3.0


def target(ctx: ResponseContext) -> str:
    return f"container {ctx.container_id[:12]}" if ctx.container_id != HOST else "no container"


def unified_root() -> Path:
    """The cgroup v2 hierarchy: ``/sys/fs/cgroup/unified`` on hybrid hosts, else the
    root (where the agent resolves cgroup ids too)."""
    for base in (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup")):
        if (base / "cgroup.controllers").exists():
            return base
    return Path("/sys/fs/cgroup")


def cgroup_dir(text: str) -> Path:
    """A cgroup named in a policy: a path under ``/sys/fs/cgroup`` as it is, anything
    else relative to the v2 hierarchy's root (``/system.slice/web.service``, the form
    ``/proc/PID/cgroup`` shows)."""
    path = Path(text)
    if path.is_relative_to("/sys/fs/cgroup"):
        return path
    return unified_root() / text.lstrip("/")


def unified_path(pid: int, proc: Path = PROC) -> str:
    """The cgroup v2 path of a process ("" when unreadable)."""
    try:
        text = (proc / str(pid) / "cgroup").read_text()
    except OSError:
        return ""
    return next((line[3:] for line in text.splitlines() if line.startswith("0::")), "")


def container_cgroup(ctx: ResponseContext, root: Path | None = None) -> Path:
    """The container's cgroup directory, or ActionError saying why it is refused."""
    cid = ctx.container_id
    if not cid or cid == HOST:
        raise ActionError("the alert's process is not in a container")
    rel = ctx.cgroup or (unified_path(ctx.pid) if ctx.pid > 0 else "")
    if not rel:
        raise ActionError("the container's cgroup is unknown")
    parts = [p for p in rel.split("/") if p]
    prefix = cid[:12]
    index = next((i for i, p in enumerate(parts) if prefix in p), None)
    if index is None:
        raise ActionError(f"cgroup {rel} does not belong to container {prefix}")
    rel_dir = "/" + "/".join(parts[: index + 1])
    for pid, who in ((1, "pid 1"), (os.getpid(), "the agent")):
        own = unified_path(pid).rstrip("/") + "/"
        if own.startswith(rel_dir + "/"):
            raise ActionError(f"refused: {who} is in cgroup {rel_dir}")
    path = (root or unified_root()) / rel_dir.lstrip("/")
    if not (path / "cgroup.procs").exists():
        raise ActionError(f"cgroup {path} does not exist (container gone?)")
    return path


def _procs(path: Path) -> list[int]:
    pids: list[int] = []
    for base, _dirs, files in os.walk(path):
        if "cgroup.procs" in files:
            try:
                pids.extend(int(p) for p in Path(base, "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                continue
    return pids


def _populated(path: Path) -> bool:
    try:
        text = (path / "cgroup.events").read_text()
    except OSError:
        return False  # removed: empty
    return "populated 1" in text


def kill_container(ctx: ResponseContext, *, dry_run: bool = False) -> tuple[str, dict[str, Any]]:
    path = container_cgroup(ctx)
    pids = _procs(path)
    data: dict[str, Any] = {"cgroup": str(path), "pids": pids[:200]}
    for pid in pids:
        why = protected(pid)
        if why:
            raise ActionError(f"refused: {why} is in cgroup {path}")
    if dry_run:
        return f"would kill {len(pids)} process(es) of cgroup {path}", data
    how = "cgroup.kill"
    try:
        (path / "cgroup.kill").write_text("1")
    except OSError:
        how = "pidfd SIGKILL per process"
        _kill_rounds(path)
    deadline = time.monotonic() + _EMPTY_WAIT
    while _populated(path) and time.monotonic() < deadline:
        time.sleep(0.02)
    if _populated(path):
        raise ActionError(f"cgroup {path} still has processes after {how}")
    return f"killed {len(pids)} process(es) of cgroup {path} ({how})", data


def _kill_rounds(path: Path) -> None:
    for _ in range(_ROUNDS):
        pids = _procs(path)
        if not pids:
            return
        for pid in pids:
            if protected(pid):
                continue
            try:
                fd = os.pidfd_open(pid)
            except OSError:
                continue
            try:
                signal.pidfd_send_signal(fd, signal.SIGKILL)
            except OSError:
                pass
            finally:
                os.close(fd)
        time.sleep(0.02)


def stop_container(
    ctx: ResponseContext,
    *,
    timeout: int = 10,
    socket: Path = DEFAULT_SOCKET,
    dry_run: bool = False,
) -> tuple[str, dict[str, Any]]:
    """``POST /libpod/containers/{id}/stop?timeout=N`` (podman sends the stop signal,
    then SIGKILL after `timeout` seconds)."""
    cid = ctx.container_id
    if not cid or cid == HOST or not all(c.isalnum() or c in "_.-" for c in cid):
        raise ActionError("the alert's process is not in a container")
    data: dict[str, Any] = {"socket": str(socket)}
    if dry_run:
        return f"would stop container {cid[:12]} through {socket} (timeout {timeout}s)", data
    if not socket.is_socket():
        raise ActionError(f"podman API socket {socket} is absent")
    transport = httpx.HTTPTransport(uds=str(socket))
    try:
        with httpx.Client(transport=transport, base_url="http://podman",
                          timeout=timeout + 10.0) as client:  # fmt: skip
            response = client.post(
                f"/v4.0.0/libpod/containers/{cid}/stop", params={"timeout": timeout}
            )
    except (httpx.HTTPError, OSError) as exc:
        raise ActionError(f"podman API: {exc}") from None
    if response.status_code == 304:
        return f"container {cid[:12]} was already stopped", data
    if response.status_code != 204:
        raise ActionError(f"podman API answered {response.status_code}: {response.text[:200]}")
    return f"stopped container {cid[:12]}", data
