"""Process, fd, user and container state maintained from syscall events.

engine = StateEngine()
engine.load_threads(reader.threads)
engine.load_fds(reader.fds)
engine.load_users(reader.users, reader.groups)
for event in reader.events():
    ctx = engine.process(event)
    ctx.thread.comm, ctx.fd.name if ctx.fd else None, engine.parent(ctx.thread)
"""

from __future__ import annotations

from mamori.runtime.state.container_meta import ContainerInfo, ContainerTable, split_image
from mamori.runtime.state.containers import ContainerIdentity, detect
from mamori.runtime.state.engine import EventContext, StateEngine
from mamori.runtime.state.model import FdState, ThreadState
from mamori.runtime.state.semantics import event_result
from mamori.runtime.state.users import Group, User, UserDirectory

__all__ = [
    "ContainerIdentity",
    "ContainerInfo",
    "ContainerTable",
    "EventContext",
    "FdState",
    "Group",
    "StateEngine",
    "ThreadState",
    "User",
    "UserDirectory",
    "detect",
    "event_result",
    "split_image",
]
