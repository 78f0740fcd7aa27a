"""Field extractors of the ``syscall`` source, compiled over the state engine.

Each catalogue field gets a factory that, given the field reference (with its
argument: ``proc.aname[2]``, ``evt.arg.flags``), returns a getter on an `EventView`:
everything that can be decided at compile time is (the ancestor level, the parameter
name, the mount glob), so an event costs attribute reads and, for ancestry, a walk of
the thread table. ``None`` means not available (Falco's ``<NA>``).

    from mamori.rules.syscall_extract import Session
    session = Session(engine)                 # engine: mamori.runtime.state.StateEngine
    for event in events:
        ctx = engine.process(event); session.observe(event)
        ruleset.match(session.view(ctx))

`attach(source)` is called once by `mamori.rules.sources.syscall`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mamori.rules.source import CatalogSource, FieldInfo, FieldRef
from mamori.rules.syscall_extract import evt, fd, identity, proc
from mamori.rules.syscall_extract.render import ParamKinds, errno_name, render_value
from mamori.rules.syscall_extract.view import EventView, Session

Factory = Callable[[FieldRef, FieldInfo], Callable[[Any], Any]]

__all__ = [
    "EventView",
    "ParamKinds",
    "Session",
    "attach",
    "errno_name",
    "extracted_fields",
    "render_value",
]


def _constant(getter: Callable[[Any], Any]) -> Factory:
    def factory(_ref: FieldRef, _info: FieldInfo) -> Callable[[Any], Any]:
        return getter

    return factory


def _factories() -> dict[str, Factory]:
    out: dict[str, Factory] = {}
    for table in (evt.SIMPLE, proc.SIMPLE, fd.SIMPLE, identity.SIMPLE):
        for name, getter in table.items():
            out[name] = _constant(getter)
    out["evt.type.is"] = evt.type_is
    out["evt.arg"] = evt.arg
    out["evt.rawarg"] = evt.rawarg
    for name in ("proc.aname", "proc.apid", "proc.aexe", "proc.aexepath", "proc.acmdline"):
        out[name] = proc.ancestor_field
    out["proc.env"] = proc.env_field
    out["proc.aenv"] = proc.env_field
    out["thread.cgroup"] = proc.cgroup_field
    out["fd.types"] = fd.types_field
    out["container.label"] = identity.label_field
    out["k8s.pod.label"] = identity.label_field
    for name in identity._MOUNT_PART:
        out[name] = identity.mount_field
    return out


FACTORIES = _factories()


def extracted_fields() -> frozenset[str]:
    """The catalogue fields this package extracts (the others read as not available)."""
    return frozenset(FACTORIES)


def attach(source: CatalogSource[Any]) -> None:
    """Attach every extractor to the ``syscall`` source (fields it lacks are skipped)."""
    for name, factory in FACTORIES.items():
        if name in source.fields:
            source.add_extractor(name, factory)
