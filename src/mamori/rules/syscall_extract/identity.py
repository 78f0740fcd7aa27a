"""``user.*``, ``group.*``, ``container.*`` and ``k8s.*`` extractors.

Users and groups are resolved per container by the state engine (`StateEngine.user`,
`group`); a uid the tables do not know has no name (sysdig prints ``<NA>``) but still
its number. Containers: the thread's container id (``host`` outside containers) and the
metadata the capture or the runtime gave for it. Kubernetes fields come from the
labels the CRI runtimes put on pod containers (``io.kubernetes.pod.*``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

from mamori.rules.source import FieldInfo, FieldRef
from mamori.rules.syscall_extract.view import EventView
from mamori.runtime.state import ContainerInfo, ThreadState

Getter = Callable[[EventView], Any]
U32 = 0xFFFFFFFF
_POD_NAME = "io.kubernetes.pod.name"
_POD_NS = "io.kubernetes.pod.namespace"
_POD_UID = "io.kubernetes.pod.uid"
_SANDBOX = "io.kubernetes.sandbox.id"


def _uid(t: ThreadState) -> int:
    return t.euid if t.euid != -1 else t.uid


def _user(attr: str) -> Getter:
    def get(v: EventView) -> Any:
        t = v.thread
        if t is None:
            return None
        user = v.engine.user(t)
        return None if user is None else getattr(user, attr)

    return get


def _loginuid(v: EventView) -> int | None:
    t = v.thread
    if t is None:
        return None
    value = t.loginuid
    return value - (1 << 32) if value >= 1 << 31 else value


def _loginname(v: EventView) -> str | None:
    uid = _loginuid(v)
    if uid is None or uid < 0:
        return None
    t = v.thread
    assert t is not None
    users = v.engine.users
    found = users.user(uid, t.container_id) or users.user(uid)
    return None if found is None else found.name


def _group_name(v: EventView) -> str | None:
    t = v.thread
    if t is None:
        return None
    group = v.engine.group(t)
    return None if group is None else group.name


def _info(v: EventView) -> ContainerInfo | None:
    t = v.thread
    return None if t is None else v.engine.container(t)


def _meta(fn: Callable[[ContainerInfo], Any], host: Any = None) -> Getter:
    """A container metadata field; `host` is its value for host processes."""

    def get(v: EventView) -> Any:
        t = v.thread
        if t is None:
            return None
        if t.container_id == "host":
            return host
        info = v.engine.container(t)
        if info is None:
            return None
        value = fn(info)
        return None if value == "" else value

    return get


def _mount_text(m: dict[str, str]) -> str:
    rw = _get(m, "RW", "rw")
    return ":".join(
        (_get(m, "Source", "source"), _get(m, "Destination", "destination", "dest"),
         _get(m, "Mode", "mode"), "true" if rw.lower() in ("true", "1") else "false",
         _get(m, "Propagation", "propagation"))
    )  # fmt: skip


def _get(m: dict[str, str], *keys: str) -> str:
    for k in keys:
        if k in m:
            return m[k]
    return ""


def _labels_text(labels: dict[str, str]) -> str | None:
    return ", ".join(f"{k}:{v}" for k, v in labels.items()) or None


def _pod_label(key: str) -> Getter:
    return _meta(lambda c: c.labels.get(key, ""))


def _pod_uid(v: EventView) -> str | None:
    t = v.thread
    if t is None:
        return None
    if t.pod_uid:
        return t.pod_uid
    info = v.engine.container(t)
    return None if info is None else info.labels.get(_POD_UID) or None


def _pod_labels(c: ContainerInfo) -> dict[str, str]:
    return {k: v for k, v in c.labels.items() if not k.startswith("io.kubernetes.")}


SIMPLE: dict[str, Getter] = {
    "user.uid": lambda v: None if v.thread is None else _uid(v.thread) & U32,
    "user.name": _user("name"),
    "user.homedir": _user("homedir"),
    "user.shell": _user("shell"),
    "user.loginuid": _loginuid,
    "user.loginname": _loginname,
    "group.gid": lambda v: None if v.thread is None else v.thread.gid & U32,
    "group.name": _group_name,
    "container.id": lambda v: None if v.thread is None else v.thread.container_id,
    "container.full_id": _meta(lambda c: c.id, "host"),
    "container.name": _meta(lambda c: c.name, "host"),
    "container.image": _meta(lambda c: c.image),
    "container.image.id": _meta(lambda c: c.image_id),
    "container.image.repository": _meta(lambda c: c.image_repository),
    "container.image.tag": _meta(lambda c: c.image_tag),
    "container.image.digest": _meta(lambda c: c.image_digest),
    "container.type": _meta(lambda c: c.type, "host"),
    "container.privileged": _meta(lambda c: c.privileged),
    "container.mounts": _meta(lambda c: ",".join(map(_mount_text, c.mounts))),
    "container.ip": _meta(lambda c: c.ip),
    "container.labels": _meta(lambda c: _labels_text(c.labels)),
    "k8s.pod.name": _pod_label(_POD_NAME),
    "k8s.ns.name": _pod_label(_POD_NS),
    "k8s.pod.uid": _pod_uid,
    "k8s.pod.id": _pod_uid,
    "k8s.pod.sandbox_id": _meta(lambda c: c.labels.get(_SANDBOX, "")[:12]),
    "k8s.pod.full_sandbox_id": _meta(lambda c: c.labels.get(_SANDBOX, "")),
    "k8s.pod.labels": _meta(lambda c: _labels_text(_pod_labels(c))),
}


def label_field(ref: FieldRef, _info: FieldInfo) -> Getter:
    """``container.label[K]`` / ``k8s.pod.label[K]``."""
    key = ref.arg or ""
    if ref.name == "k8s.pod.label":
        return _meta(lambda c: _pod_labels(c).get(key, ""))
    return _meta(lambda c: c.labels.get(key, ""))


_SOURCE = ("Source", "source")
_DEST = ("Destination", "destination", "dest")
_MOUNT_PART = {
    "container.mount": None,
    "container.mount.source": ("Source", "source"),
    "container.mount.dest": ("Destination", "destination", "dest"),
    "container.mount.mode": ("Mode", "mode"),
    "container.mount.rdwr": ("RW", "rw"),
    "container.mount.propagation": ("Propagation", "propagation"),
}


def mount_field(ref: FieldRef, _info: FieldInfo) -> Getter:
    """``container.mount*[N]`` by position, or ``[GLOB]``: the mount whose source (for
    ``.source``: whose destination) matches the glob, as libsinsp selects them."""
    part = _MOUNT_PART[ref.name]
    arg = ref.arg or ""
    index = int(arg) if arg.isdigit() else None
    by_dest = ref.name == "container.mount.source"

    def pick(c: ContainerInfo) -> str:
        mounts = c.mounts
        found: dict[str, str] | None = None
        if index is not None:
            found = mounts[index] if index < len(mounts) else None
        else:
            for m in mounts:
                key = _get(m, *(_DEST if by_dest else _SOURCE))
                if fnmatch.fnmatchcase(key, arg):
                    found = m
                    break
        if found is None:
            return ""
        if part is None:
            return _mount_text(found)
        value = _get(found, *part)
        if ref.name == "container.mount.rdwr":
            return "true" if value.lower() in ("true", "1") else "false"
        return value

    return _meta(pick)
