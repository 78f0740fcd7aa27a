"""What a ``syscall`` rule sees of one event: the state engine's context plus the engine.

The rules engine indexes rules by ``event.name``, and the getters need the state
engine itself (parents, ancestors, users, containers), so the object given to
`RuleSet.match` is an `EventView`: the `EventContext` fields copied into slots (one
attribute read per field access, no property indirection) and a reference to the
`Session` of the replay or sensor that produced it. Build them with
`Session.view(ctx)`; a view is only valid until the engine processes the next event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from mamori.model.events import Param, SyscallEvent
from mamori.runtime.state import EventContext, FdState, StateEngine, ThreadState

if TYPE_CHECKING:
    from mamori.rules.syscall_extract.render import ParamKinds

ParamKindsFn = Callable[[str, str], "ParamKinds"]


class Session:
    """Per-stream facts the fields need besides the state: the first and previous event
    times (``evt.reltime``, ``evt.deltatime``), the host name, and how each event's
    parameters are typed for rendering (``evt.arg.*``/``evt.args``)."""

    __slots__ = ("_last_ts", "engine", "first_ts", "hostname", "param_kinds", "prev_ts")

    def __init__(
        self,
        engine: StateEngine,
        *,
        hostname: str = "",
        param_kinds: ParamKindsFn | None = None,
    ) -> None:
        self.engine = engine
        self.hostname = hostname
        self.first_ts = 0
        self.prev_ts = 0
        self._last_ts = 0
        self.param_kinds: ParamKindsFn = param_kinds or _no_kinds

    def observe(self, event: SyscallEvent) -> None:
        """Record an event's time; call once per event, in order, viewed or not."""
        self.stamp(event.ts)

    def stamp(self, ts: int) -> None:
        """`observe` for an event known only by its time (not decoded)."""
        if not self.first_ts:
            self.first_ts = ts
        self.prev_ts = self._last_ts or ts
        self._last_ts = ts

    def view(self, ctx: EventContext) -> EventView:
        return EventView(self, ctx)


def _no_kinds(_name: str, _dir: str) -> Mapping[str, str]:
    return {}


class EventView:
    """One event as the ``syscall`` getters read it (see the module docstring)."""

    __slots__ = (
        "dir", "engine", "event", "fd", "fd_name_changed", "fd_num", "fd_typechar", "memo",
        "name", "params", "session", "thread", "ts",
    )  # fmt: skip

    def __init__(self, session: Session, ctx: EventContext) -> None:
        event = ctx.event
        self.session = session
        self.engine: StateEngine = session.engine
        self.event: SyscallEvent = event
        self.name: str = event.name
        self.dir: str = event.dir
        self.ts: int = event.ts
        self.params: dict[str, Param] = event.params
        self.thread: ThreadState | None = ctx.thread
        self.fd_num: int | None = ctx.fd_num
        self.fd: FdState | None = ctx.fd
        self.fd_typechar: str = ctx.fd_typechar
        self.fd_name_changed: bool = ctx.fd_name_changed
        self.memo: dict[int, bool] = {}  # results of macros shared by rules (compiler)
