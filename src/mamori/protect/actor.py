"""Who did it: the process fields an alert names, read through the ``syscall`` rule
source's getters so they are exactly what a rule's output would show."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mamori.rules.sources.syscall import SYSCALL

ACTOR_FIELDS = (
    "proc.pid", "proc.name", "proc.exepath", "proc.cmdline", "proc.pname", "user.name",
    "user.uid", "container.id", "container.name", "container.image.repository",
)  # fmt: skip

_GETTERS: list[tuple[str, Callable[[Any], Any]]] = []


def _getters() -> list[tuple[str, Callable[[Any], Any]]]:
    if not _GETTERS:
        for name in ACTOR_FIELDS:
            _info, ref = SYSCALL.resolve(name)
            _GETTERS.append((name, SYSCALL.compile_field(ref)))
    return _GETTERS


def actor(view: Any) -> dict[str, Any]:
    """The actor fields of one event view (None where a value is unknown)."""
    out: dict[str, Any] = {}
    for name, get in _getters():
        try:
            out[name] = get(view)
        except Exception:  # a field must never stop protection: unknown instead
            out[name] = None
    return out


def identity(fields: dict[str, Any], host: str) -> dict[str, str]:
    """An alert's identity from the actor fields."""
    ident = {"host": host}
    cid = fields.get("container.id")
    if cid and cid != "host":
        ident["container_id"] = str(cid)
        if fields.get("container.name"):
            ident["container_name"] = str(fields["container.name"])
        if fields.get("container.image.repository"):
            ident["image"] = str(fields["container.image.repository"])
    return ident


def who(fields: dict[str, Any]) -> str:
    """``process=cat pid=12 command=cat x user=root container=host``-style text."""
    cid = fields.get("container.id") or "host"
    return (
        f"process={fields.get('proc.name')} pid={fields.get('proc.pid')} "
        f"command={fields.get('proc.cmdline')} parent={fields.get('proc.pname')} "
        f"user={fields.get('user.name')} container={cid}"
    )
