"""Renders the state engine's view of an event as sysdig 0.29 prints Falco's fields, so
the two can be compared field by field (the rules engine's extractors will do the
same from the same state)."""

from __future__ import annotations

from mamori.runtime.state import EventContext, StateEngine

NA = "<NA>"
FIELDS = [
    "evt.type", "evt.dir", "thread.tid", "proc.name", "proc.pid", "proc.ppid", "proc.exe",
    "proc.cmdline", "proc.pname", "proc.aname[2]", "proc.cwd", "fd.num", "fd.name",
    "fd.typechar", "user.name", "container.id", "container.name", "container.image",
]  # fmt: skip


def render(engine: StateEngine, ctx: EventContext) -> list[str]:
    event, thread = ctx.event, ctx.thread
    if thread is None:
        return [event.name, event.dir, str(event.tid)] + [NA] * (len(FIELDS) - 3)
    main = engine.main_thread(thread)
    parent = engine.parent(thread)
    grand = engine.ancestor(thread, 2)
    user = engine.user(thread)
    container = engine.container(thread)
    host = thread.container_id == "host"
    known = thread.known
    return [
        event.name,
        event.dir,
        str(thread.tid),
        thread.comm if known and thread.comm else NA,
        str(thread.pid),
        str(main.ptid),
        thread.exe if known else NA,
        " ".join((thread.comm, *thread.args)) if known else NA,
        parent.comm if parent is not None and parent.comm else NA,
        grand.comm if grand is not None and grand.comm else NA,
        engine.cwd_of(thread),
        NA if ctx.fd_num is None else str(ctx.fd_num),
        ctx.fd.name if ctx.fd is not None else NA,
        ctx.fd.type if ctx.fd is not None else (ctx.fd_typechar or NA),
        user.name if user is not None else NA,
        thread.container_id,
        "host" if host else (container.name if container and container.name else NA),
        container.image if container and container.image else NA,
    ]
