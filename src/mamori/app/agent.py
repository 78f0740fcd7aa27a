"""The runtime agent's pipeline: sensor -> state engine -> outputs.

    with Agent(sensor, connections=ConnectionMap(), sinks=[JsonLines(FIELDS, sys.stdout)]) as a:
        a.run(duration=10)            # or a.poll() in your own loop

``start`` starts the sensor first (so nothing happens unseen), then loads the /proc
snapshot (processes, fds, host users) into a fresh ``StateEngine`` and seeds the
connection map with the listening sockets alive now. Each batch then goes, event by
event, through the state engine and on to the connection map and the sinks, which see
the event as the ``syscall`` rule fields see it (an ``EventView``).

Container context for live events: a process that joins a container's cgroup after
start-up (``runc init``) does so without a syscall the sensor reports, so the agent
maps the cgroup id every live event carries to that cgroup's path (`CgroupResolver`)
and corrects the thread's cgroups in the state engine when they disagree (this is the
only place the agent changes the engine's state: ``StateEngine.set_cgroups``). Names and
images come from podman asynchronously (`mamori.runtime.podman.ContainerMetadata`) and
are added to ``engine.containers`` between batches: never on the event path.

With ``rules`` (`mamori.app.agent_alerts.RuleAlerts`), every event the rules need is
matched as it is processed (first matching rule, exit events only, like Falco) and the
alert goes to the rules' sink; with a `mamori.app.forensics.Forensics` on them, every
event is also kept in its rolling buffer so that an alert can save the events around it.

The agent's own process is never captured (the eBPF sensor filters its pid in the
kernel; events of it that a fallback sensor delivers are dropped here).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from mamori.alerts import AlertSink, StreamSink
from mamori.app.agent_alerts import RuleAlerts
from mamori.app.agent_protect import Protection
from mamori.model.events import SyscallEvent
from mamori.rules import RuleSet
from mamori.rules.syscall_extract import EventView, Session
from mamori.runtime.connections import CONNECTION_EVENTS, DATA_EVENTS, ConnectionMap
from mamori.runtime.podman import ContainerMetadata
from mamori.runtime.state import StateEngine
from mamori.runtime.state.containers import HOST, detect
from mamori.sensor.snapshot import snapshot_fds, snapshot_threads

log = logging.getLogger(__name__)

LIFECYCLE_EVENTS = frozenset({"clone", "clone3", "fork", "vfork", "execve", "execveat", "procexit"})
"""Always captured with a filter: the state engine needs them for process context."""
RULE_STATE_EVENTS = frozenset({"socket", "socketpair", "bind", "listen", "accept", "accept4"})
"""Captured besides the rules' own types: without the socket's creation the state engine
has no fd for a later connect or dup, and no fd.* field would match (Falco, too, captures
its state syscalls on top of what the rules need). `close`, the chattiest call, is left
out: the next socket() or open() on that fd number replaces the stale entry."""
_EXEC = frozenset({"execve", "execveat"})
_MAX_CGROUPS = 4096
_WALK_EVERY = 0.2  # seconds between walks of the cgroup tree
_MAX_WALK = 50000  # cgroup directories visited when looking an id up in the tree


class AgentError(RuntimeError):
    """The agent cannot run; the message says why."""


class EventSensor(Protocol):
    """What the agent needs of a sensor (the eBPF one or a fallback)."""

    def start(self) -> object: ...

    def poll(self, timeout: float | None = None) -> list[SyscallEvent]: ...

    def stop(self) -> None: ...


Sink = Callable[[EventView], None]


class CgroupResolver:
    """cgroup v2 id (``TaskContext.cgroup_id``) -> that cgroup's entries, in the
    ``controller=path`` form the state engine keeps (see the module docstring)."""

    def __init__(self, proc: Path = Path("/proc"), root: Path | None = None) -> None:
        self.proc = proc
        self.root = root if root is not None else _unified_root()
        self._cache: dict[int, tuple[str, ...]] = {}
        self._failed: dict[int, int] = {}  # cgroup id -> the pid it was last tried with
        self._tree: dict[int, str] = {}
        self._walked = 0.0

    def lookup(self, cgroup_id: int, pid: int) -> tuple[str, ...] | None:
        """None when not found. A process can exit before /proc is read (runc's helpers
        do, in a fresh container cgroup): a failed id is retried with the next pid seen
        in it, and the cgroup tree is walked at most every 0.2 s."""
        found = self._cache.get(cgroup_id)
        if found is not None:
            return found
        if self._failed.get(cgroup_id) == pid and time.monotonic() - self._walked < _WALK_EVERY:
            return None
        found = self._from_proc(cgroup_id, pid) or self._from_tree(cgroup_id)
        table: dict[int, Any] = self._cache if found is not None else self._failed
        if len(table) >= _MAX_CGROUPS:
            table.pop(next(iter(table)))
        table[cgroup_id] = found if found is not None else pid
        if found is not None:
            self._failed.pop(cgroup_id, None)
        return found

    def _from_proc(self, cgroup_id: int, pid: int) -> tuple[str, ...] | None:
        try:
            text = (self.proc / str(pid) / "cgroup").read_text()
        except OSError:
            return None
        entries, unified = [], None
        for line in text.splitlines()[:64]:
            parts = line.split(":", 2)
            if len(parts) != 3:
                continue
            for ctl in parts[1].split(",") if parts[1] else ["unified"]:
                entries.append(f"{ctl.removeprefix('name=')}={parts[2]}")
            if not parts[1]:
                unified = parts[2]
        if unified is None or self.root is None:
            return None
        try:
            inode = (self.root / unified.lstrip("/")).stat().st_ino
        except OSError:
            return None
        return tuple(entries) if inode == cgroup_id else None  # moved since: not this one

    def _from_tree(self, cgroup_id: int) -> tuple[str, ...] | None:
        """Find the id among the cgroup directories' inodes (bounded, rate-limited): for
        a process that exited before its cgroup was read."""
        path = self._tree.get(cgroup_id)
        if path is None and self.root is not None and time.monotonic() - self._walked > _WALK_EVERY:
            self._walked = time.monotonic()
            self._tree = {}
            for index, (base, _dirs, _files) in enumerate(os.walk(self.root)):
                if index >= _MAX_WALK:
                    break
                rel = os.path.relpath(base, self.root)
                try:
                    self._tree[os.stat(base).st_ino] = "/" if rel == "." else "/" + rel
                except OSError:
                    continue
            path = self._tree.get(cgroup_id)
        return (f"unified={path}",) if path else None


def _unified_root() -> Path | None:
    """The cgroup v2 hierarchy: /sys/fs/cgroup/unified on hybrid hosts, else the root."""
    for base in (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup")):
        if (base / "cgroup.controllers").exists():
            return base
    return None


FORENSIC_EVENTS = LIFECYCLE_EVENTS | frozenset({
    "open", "openat", "openat2", "creat", "connect", "accept", "accept4", "bind", "listen",
    "unlink", "unlinkat", "rename", "renameat", "renameat2", "chmod", "fchmod", "fchmodat",
    "setuid", "setgid", "setresuid", "setresgid", "ptrace", "mount", "init_module",
    "finit_module", "memfd_create", "dup2", "dup3",
})  # fmt: skip
"""Captured besides the rules' types when forensic captures are on: what an incident
responder reads first (files, connections, privilege changes)."""


def capture_types(
    print_types: Iterable[str] | None,
    connections: bool,
    data: bool = False,
    *,
    rule_types: Iterable[str] = (),
    forensics: bool = False,
) -> frozenset[str] | None:
    """What to ask the sensor for: None (its default set) when every type is printed
    (`print_types` None), else the printed types plus what the state engine, the
    connection map, the rules (`rule_types`) and forensic captures need."""
    if print_types is None:
        return None
    wanted = set(print_types) | LIFECYCLE_EVENTS | set(rule_types)
    if rule_types:
        wanted |= RULE_STATE_EVENTS
    if connections:
        wanted |= CONNECTION_EVENTS | (DATA_EVENTS if data else set())
    if forensics:
        wanted |= FORENSIC_EVENTS
    return frozenset(wanted)


class Agent:
    """One sensor feeding one state engine, a connection map and sinks."""

    def __init__(
        self,
        sensor: EventSensor,
        *,
        connections: ConnectionMap | None = None,
        metadata: ContainerMetadata | None = None,
        sinks: Sequence[Sink] = (),
        sink_types: Iterable[str] | None = None,
        map_path: Path | None = None,
        save_every: float = 60.0,
        snapshot: bool = True,
        host_root: Path = Path("/"),
        cgroups: CgroupResolver | None = None,
        rules: RuleAlerts | None = None,
        ruleset: RuleSet | None = None,
        alerts: AlertSink | None = None,
        protection: Protection | None = None,
    ) -> None:
        if rules is None and ruleset is not None:  # shorthand: JSON lines on stdout by default
            rules = RuleAlerts(ruleset, alerts or StreamSink(), hostname=socket.gethostname())
        self.sensor = sensor
        self.rules = rules
        self.protection = protection
        self.forensics = rules.forensics if rules is not None else None
        self.engine = StateEngine()
        hostname = rules.hostname if rules is not None and rules.hostname else None
        self.session = Session(self.engine, hostname=hostname or socket.gethostname())
        self.connections = connections
        self.metadata = metadata
        self.sinks = list(sinks)
        self.sink_types = frozenset(sink_types) if sink_types is not None else None
        self.map_path = map_path
        self.save_every = save_every
        self.snapshot = snapshot
        self.host_root = host_root  # the host's / (``/proc/1/root`` from a container)
        self.cgroups = cgroups if cgroups is not None else CgroupResolver()
        self.events = self.delivered = self.drops = self.own = 0
        self._pid = os.getpid()
        self._started = False
        self._saved = time.monotonic()
        self._users_loaded: set[str] = {HOST}
        self._cgroup_cids: dict[int, str] = {}
        self._unnamed: dict[str, None] = {}  # containers whose metadata has not arrived

    # -- life cycle -----------------------------------------------------------------
    def start(self) -> Agent:
        if os.geteuid() != 0:
            raise AgentError("mamori agent needs root (the sensors need CAP_BPF/CAP_SYS_ADMIN)")
        self.sensor.start()
        self._started = True
        if self.snapshot:
            self._load_snapshot()
        if self.protection is not None:
            self.protection.start()
        if self.rules is not None:
            self.rules.start()
        return self

    def _load_snapshot(self) -> None:
        engine = self.engine
        engine.load_threads(snapshot_threads())
        engine.load_fds(snapshot_fds())
        engine.users.load_root(self.host_root)
        for cid in {t.container_id for t in engine.threads} - {HOST}:
            self._container_seen(cid)
        if self.connections is not None:
            self.connections.seed(engine, time.time_ns())

    def stop(self) -> None:
        if self._started:
            self.sensor.stop()
            self._started = False
        if self.metadata is not None:
            self._add_metadata()
            self.metadata.close()
        if self.connections is not None:
            self.connections.settle(force=True)
            self.save()
        if self.protection is not None:  # before the rules: they close the shared sink
            self.protection.close()
        if self.rules is not None:
            self.rules.close()

    def save(self) -> None:
        """Write the connection map now (atomic), if there is one and a path."""
        self._saved = time.monotonic()
        if self.connections is not None and self.map_path is not None:
            try:
                self.connections.save(self.map_path)
            except OSError as exc:
                log.warning("cannot save the connection map to %s: %s", self.map_path, exc)

    def __enter__(self) -> Agent:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- the loop -------------------------------------------------------------------
    def run(self, duration: float | None = None, stop: threading.Event | None = None) -> None:
        """Poll until `duration` seconds passed or `stop` is set."""
        deadline = None if duration is None else time.monotonic() + duration
        while stop is None or not stop.is_set():
            left = 0.1 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return
            self.poll(min(0.1, left))

    def poll(self, timeout: float | None = None) -> int:
        """Process one batch; returns the number of events it held."""
        batch = self.sensor.poll(timeout)
        self.process(batch)
        if self.forensics is not None and self.forensics.pending:
            self.forensics.tick()
        if self.protection is not None:
            self.protection.tick()
        if self.metadata is not None:
            self._add_metadata()
        if self.map_path is not None and time.monotonic() - self._saved >= self.save_every:
            self.save()
        return len(batch)

    def process(self, batch: Iterable[SyscallEvent]) -> None:
        engine, session, cmap = self.engine, self.session, self.connections
        cmap_types = CONNECTION_EVENTS | DATA_EVENTS if cmap is not None else frozenset()
        sink_types, sinks, own = self.sink_types, self.sinks, self._pid
        cgroup_cids = self._cgroup_cids
        rules, forensics = self.rules, self.forensics
        protection = self.protection
        protect_types = protection.event_types if protection is not None else frozenset()
        for event in batch:
            live = event.ctx
            if live is not None and live.pid == own:
                self.own += 1
                continue
            name = event.name
            if name == "drop":
                drops = event.params.get("drops")
                self.drops += drops if isinstance(drops, int) else 0
                continue
            self.events += 1
            ctx = engine.process(event)
            session.observe(event)
            thread = ctx.thread
            if thread is None:
                continue
            if live is not None and live.cgroup_id:
                cid: str | None = cgroup_cids.get(live.cgroup_id, "?")
                if cid == "?":
                    cid = self._resolve_cgroup(live.cgroup_id, live.pid)
                if cid is not None and cid != thread.container_id:
                    cgroups = self.cgroups.lookup(live.cgroup_id, live.pid)
                    if cgroups is not None:
                        engine.set_cgroups(thread, cgroups)
            if name in _EXEC and thread.container_id not in self._users_loaded:
                self._load_container_users(thread.container_id, thread.pid)
            if cmap is not None and name in cmap_types:
                cmap.observe(engine, ctx)
            if forensics is not None:
                forensics.record(event, thread)
            view = None
            if rules is not None and rules.wants(name, event.dir):
                view = session.view(ctx)
                rules.evaluate(view)
            if protection is not None and name in protect_types:
                view = view or session.view(ctx)
                protection.observe(view)
            if sinks and (sink_types is None or name in sink_types):
                view = view or session.view(ctx)
                self.delivered += 1
                for sink in sinks:
                    sink(view)

    # -- container context ----------------------------------------------------------
    def _resolve_cgroup(self, cgroup_id: int, pid: int) -> str | None:
        """The container id of a cgroup not resolved yet (None: unknown for now)."""
        cgroups = self.cgroups.lookup(cgroup_id, pid)
        if cgroups is None:
            return None
        cid = detect(cgroups).id
        if len(self._cgroup_cids) >= _MAX_CGROUPS:
            self._cgroup_cids.pop(next(iter(self._cgroup_cids)))
        self._cgroup_cids[cgroup_id] = cid
        if cid != HOST:
            self._container_seen(cid)
        return cid

    def _container_seen(self, cid: str) -> None:
        if self.metadata is not None:
            if len(self._unnamed) >= _MAX_CGROUPS:  # the oldest is likely gone for good
                self._unnamed.pop(next(iter(self._unnamed)))
            self._unnamed[cid] = None
            self.metadata.request(cid)

    def _load_container_users(self, cid: str, pid: int) -> None:
        """A container's own passwd/group, read through its root once it has exec'd (by
        then its root is the container's, not the runtime's)."""
        self._users_loaded.add(cid)
        if len(self._users_loaded) > _MAX_CGROUPS:
            self._users_loaded = {HOST, cid}
        self.engine.users.load_root(Path(f"/proc/{pid}/root"), cid)

    def _add_metadata(self) -> None:
        """Answers into the state engine; ask again for containers still unnamed (a
        failed lookup is retried once its ``retry_after`` has passed)."""
        assert self.metadata is not None
        for info in self.metadata.drain():
            self.engine.containers.add(info)
            self._unnamed.pop(info.id, None)
        for cid in self._unnamed:
            self.metadata.request(cid)
