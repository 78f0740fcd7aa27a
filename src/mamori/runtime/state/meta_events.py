"""Events about the machine rather than a thread: container metadata and changes to
the user and group tables (newer agents emit these as they notice them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mamori.model.events import SyscallEvent
from mamori.runtime.state.semantics import as_int
from mamori.runtime.state.users import Group, User

if TYPE_CHECKING:
    from mamori.runtime.state.engine import StateEngine


def _user_event(engine: StateEngine, event: SyscallEvent) -> None:
    """user_added/user_deleted/group_added/group_deleted: the agent's user tables changed."""
    p = event.params
    container = p.get("container_id")
    where = container if isinstance(container, str) and container else "host"
    uid, gid, name = as_int(p.get("uid")), as_int(p.get("gid")), p.get("name")
    if event.name == "user_added" and isinstance(name, str):
        home, shell = p.get("home"), p.get("shell")
        engine.users.add_user(
            User(uid, gid, name, home if isinstance(home, str) else "",
                 shell if isinstance(shell, str) else ""),
            where,
        )  # fmt: skip
    elif event.name == "user_deleted":
        engine.users.remove_user(uid, where)
    elif event.name == "group_added" and isinstance(name, str):
        engine.users.add_group(Group(gid, name), where)
    elif event.name == "group_deleted":
        engine.users.remove_group(gid, where)


def _container_event(engine: StateEngine, event: SyscallEvent) -> None:
    engine.containers.from_event(event)


METADATA_EVENTS: dict[str, Callable[[StateEngine, SyscallEvent], None]] = {
    "container": _container_event,
    **dict.fromkeys(("user_added", "user_deleted", "group_added", "group_deleted"), _user_event),
}
