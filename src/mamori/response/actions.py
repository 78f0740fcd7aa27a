"""Each policy action as one function ``(spec, alert, ctx, env, dry_run) -> (target,
detail, data)``, raising ActionError (with the target known so far) when it cannot be
done. `Responder` turns these into logged `ActionResult` objects."""

from __future__ import annotations

import hashlib
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mamori.alerts import Alert
from mamori.response import container, kill
from mamori.response.base import HOST, ActionError, ResponseContext
from mamori.response.connect_deny import ConnectDeny
from mamori.response.exec_deny import ExecDeny
from mamori.response.policy import (
    SIGNALS,
    DenyConnectSpec,
    DenyExecSpec,
    KillContainerSpec,
    KillSpec,
    QuarantineSpec,
    StopContainerSpec,
)
from mamori.response.quarantine import Quarantine
from mamori.sensor._libbpf import BpfError

Outcome = tuple[str, str, dict[str, Any]]


class TargetError(ActionError):
    """ActionError with the action's target, for the log."""

    def __init__(self, target: str, detail: str) -> None:
        self.target = target
        super().__init__(detail)


@dataclass
class Env:
    """What actions share: the quarantine store, the running deny engines."""

    quarantine: Quarantine
    podman_socket: Path = container.DEFAULT_SOCKET
    exec_deny: ExecDeny | None = None
    connect_deny: dict[Path, ConnectDeny] = field(default_factory=dict)
    cgroup_root: Path | None = None


def host_path(ctx: ResponseContext, path: str) -> str:
    """A path as the alert's process saw it, as the agent can reach it: through
    ``/proc/<pid>/root`` for a process in a container."""
    if ctx.container_id != HOST and ctx.pid > 0 and path.startswith("/"):
        return f"/proc/{ctx.pid}/root{path}"
    return path


def _file(ctx: ResponseContext, which: str) -> str:
    path = ctx.exe_path if which == "exe" else ctx.file_path
    if not path:
        raise ActionError(f"the alert names no {'executable' if which == 'exe' else 'file'}")
    return path


def do_kill(spec: KillSpec, alert: Alert, ctx: ResponseContext, env: Env, dry: bool) -> Outcome:
    tgt = kill.target(ctx) + (" and its descendants" if spec.tree else "")
    try:
        detail, data = kill.kill(ctx, tree=spec.tree, sig=signal.Signals(SIGNALS[spec.signal]),
                                 dry_run=dry)  # fmt: skip
    except ActionError as exc:
        raise TargetError(tgt, str(exc)) from None
    return tgt, detail, data


def do_kill_container(
    spec: KillContainerSpec, alert: Alert, ctx: ResponseContext, env: Env, dry: bool
) -> Outcome:
    tgt = container.target(ctx)
    try:
        detail, data = container.kill_container(ctx, dry_run=dry)
    except ActionError as exc:
        raise TargetError(tgt, str(exc)) from None
    return tgt, detail, data


def do_stop_container(
    spec: StopContainerSpec, alert: Alert, ctx: ResponseContext, env: Env, dry: bool
) -> Outcome:
    tgt = container.target(ctx)
    sock = Path(spec.socket) if spec.socket else env.podman_socket
    try:
        detail, data = container.stop_container(ctx, timeout=spec.timeout, socket=sock, dry_run=dry)
    except ActionError as exc:
        raise TargetError(tgt, str(exc)) from None
    return tgt, detail, data


def do_quarantine(
    spec: QuarantineSpec, alert: Alert, ctx: ResponseContext, env: Env, dry: bool
) -> Outcome:
    try:
        path = _file(ctx, spec.target)
    except ActionError as exc:
        raise TargetError(spec.target, str(exc)) from None
    real = host_path(ctx, path)
    try:
        if dry:
            env.quarantine.check(real)
            return path, f"would move {real} into {env.quarantine.store}", {}
        entry = env.quarantine.quarantine(real, rule=alert.rule)
    except ActionError as exc:
        raise TargetError(path, str(exc)) from None
    except OSError as exc:
        raise TargetError(path, f"{exc.filename or path}: {exc.strerror}") from None
    detail = f"moved to {entry.stored} ({entry.method}), sha256 {entry.sha256}"
    return path, detail, {"id": entry.id, "sha256": entry.sha256}


def do_deny_exec(
    spec: DenyExecSpec, alert: Alert, ctx: ResponseContext, env: Env, dry: bool
) -> Outcome:
    tgt = (ctx.exe_path if spec.target == "exe" else ctx.file_path) or spec.target
    try:
        path = _file(ctx, spec.target)
        deny = env.exec_deny
        if deny is None or deny.fd < 0:
            raise ActionError("exec deny is not running (policy: mitigations.exec.mounts)")
        if spec.by == "path":
            if not dry:
                deny.add_path(path)
            return path, ("would deny" if dry else "denied") + f" exec of path {path}", {}
        digest = _sha256(host_path(ctx, path))
    except ActionError as exc:
        raise TargetError(tgt, str(exc)) from None
    if not dry:
        deny.add_sha256(digest)
    return (
        path,
        ("would deny" if dry else "denied") + f" exec of sha256 {digest}",
        {"sha256": digest},
    )


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        raise ActionError(f"{path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as stream:
        if not os.path.isfile(f"/proc/self/fd/{fd}"):
            raise ActionError(f"{path} is not a regular file")
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def do_deny_connect(
    spec: DenyConnectSpec, alert: Alert, ctx: ResponseContext, env: Env, dry: bool
) -> Outcome:
    port = 0 if spec.any_port else ctx.remote_port
    tgt = f"{ctx.remote_addr or '?'}:{port or '*'}"
    try:
        if not ctx.remote_addr:
            raise ActionError("the alert names no connection destination")
        if spec.cgroup:
            cgroup = container.cgroup_dir(spec.cgroup)
        elif ctx.container_id != HOST:
            cgroup = container.container_cgroup(ctx, env.cgroup_root)
        else:
            raise ActionError("a host process: name the cgroup in the action (cgroup: ...)")
        if dry:
            return tgt, f"would deny connects to {tgt} from cgroup {cgroup}", {}
        deny = env.connect_deny.get(cgroup)
        if deny is None:
            _prune(env.connect_deny)
            deny = env.connect_deny[cgroup] = ConnectDeny(cgroup).start()
        deny.deny(ctx.remote_addr, port)
    except (ActionError, ValueError) as exc:
        raise TargetError(tgt, str(exc)) from None
    except (BpfError, OSError) as exc:
        raise TargetError(tgt, str(exc)) from None
    return tgt, f"denied connects to {tgt} from cgroup {cgroup}", {"cgroup": str(cgroup)}


def _prune(denies: dict[Path, ConnectDeny]) -> None:
    """Drop the programs of cgroups that are gone (their containers exited): one BPF
    object per cgroup must not accumulate over an agent's lifetime."""
    for path, deny in list(denies.items()):
        if not (path / "cgroup.procs").exists():
            deny.stop()
            del denies[path]


HANDLERS: dict[str, Callable[..., Outcome]] = {
    "kill": do_kill,
    "kill_container": do_kill_container,
    "stop_container": do_stop_container,
    "quarantine": do_quarantine,
    "deny_exec": do_deny_exec,
    "deny_connect": do_deny_connect,
}
