"""Container and Kubernetes pod identity from a process's cgroup paths.

Falco reports ``container.id`` as the first 12 hex digits of the runtime's 64-digit id
(or ``host``). The id appears in the cgroup path in a handful of runtime-specific
shapes, for cgroup v1 (``subsystem=/path`` entries) and v2 (``0::/path``) alike:

- docker:       ``/docker/<id>``, ``/system.slice/docker-<id>.scope``
- containerd:   ``/kubepods/.../pod<uid>/<id>``, ``cri-containerd-<id>.scope``
- cri-o:        ``/crio-<id>``, ``crio-<id>.scope``
- podman:       ``/libpod_parent/libpod-<id>``, ``libpod-<id>.scope``,
                ``/machine.slice/libpod-conmon-<id>.scope`` is the monitor, not the container
- any ``.scope`` / path segment that is a bare 64-hex id (systemd-managed runtimes)

Kubernetes pod UIDs appear as ``pod<uid>`` (cgroupfs driver, dashes) or
``kubepods-<qos>-pod<uid_with_underscores>.slice`` (systemd driver).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

HOST = "host"

_HEX64 = r"[0-9a-f]{64}"
_PATTERNS = (
    re.compile(rf"/docker[/-]({_HEX64})(?:\.scope)?(?:/|$)"),
    re.compile(rf"/cri-containerd-({_HEX64})\.scope"),
    re.compile(rf"/crio-({_HEX64})(?:\.scope)?(?:/|$)"),
    re.compile(rf"/libpod-({_HEX64})(?:\.scope)?(?:/|$)"),
    re.compile(rf"/kubepods[^ ]*/({_HEX64})(?:/|$)"),
    re.compile(rf"/({_HEX64})(?:\.scope)?(?:/|$)"),
)
_CONMON = re.compile(rf"/libpod-conmon-{_HEX64}")
_POD = re.compile(r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})")


@dataclass(frozen=True, slots=True)
class ContainerIdentity:
    id: str  # 12 hex digits, or "host"
    full_id: str  # 64 hex digits, or ""
    runtime: str  # docker, containerd, cri-o, podman, unknown; "" for the host
    pod_uid: str  # Kubernetes pod UID with dashes, or ""


HOST_IDENTITY = ContainerIdentity(HOST, "", "", "")

_RUNTIMES = ("docker", "containerd", "cri-o", "podman", "containerd", "unknown")


_PROC_LINE = re.compile(r"^\d+:[^:]*:(.*)$")  # /proc/PID/cgroup: "hierarchy:controllers:path"


def _paths(cgroups: Iterable[str]) -> Iterable[str]:
    for entry in cgroups:
        line = _PROC_LINE.match(entry)
        if line:
            yield line.group(1)
        else:  # "subsystem=/path" as captures record them, or a bare path
            yield entry.partition("=")[2] if "=" in entry else entry


def detect(cgroups: Iterable[str]) -> ContainerIdentity:
    """The container (if any) a process with these cgroups runs in."""
    pod = ""
    for path in _paths(cgroups):
        if not pod:
            found = _POD.search(path)
            if found:
                pod = found.group(1).replace("_", "-")
        if _CONMON.search(path):
            continue
        for runtime, pattern in zip(_RUNTIMES, _PATTERNS, strict=True):
            match = pattern.search(path)
            if match:
                full = match.group(1)
                if runtime == "unknown" and pod:
                    runtime = "containerd"
                return ContainerIdentity(full[:12], full, runtime, pod)
    if pod:
        return ContainerIdentity(HOST, "", "", pod)
    return HOST_IDENTITY
