"""The agent's rule evaluation: each event's view against a ruleset, alerts to a sink.

    rules = RuleAlerts(ruleset, open_sinks(["stdout"]), hostname="web-1",
                       forensics=Forensics("/var/lib/mamori/captures"))
    Agent(sensor, rules=rules)

Like Falco's default (``rule_matching: first``) at most one alert is raised per event:
the first matching ``syscall`` rule in load order. ``exit_only`` (the default) skips
enter events that have an exit event, as Falco's modern drivers, which no longer send
them, do; enter-only events (``procexit``...) are always evaluated. Each alert carries
the host name, Falco's fields, and its identity: ``host``, plus ``container_id``,
``container_name`` and ``image`` for a process in a container. With `Forensics`, the
alert also links the capture of its process tree or container (`Alert.capture`).
"""

from __future__ import annotations

import dataclasses
import logging
from functools import cache

from mamori.alerts import Alert, AlertSink
from mamori.app.forensics import Forensics
from mamori.captures.scap import EVENTS
from mamori.response import Responder, ResponseContext
from mamori.rules import Match, RuleSet
from mamori.rules.syscall_extract import EventView
from mamori.runtime.state.containers import HOST

log = logging.getLogger(__name__)
SOURCE = "syscall"


@cache
def enter_only() -> frozenset[str]:
    """Event names that have no exit event (``procexit``, ``switch``...)."""
    dirs: dict[str, set[str]] = {}
    for info in EVENTS:
        dirs.setdefault(info.name, set()).add(info.dir)
    return frozenset(name for name, d in dirs.items() if d == {">"})


class RuleAlerts:
    """Matches views against a ruleset and emits alerts (see the module docstring)."""

    def __init__(
        self,
        ruleset: RuleSet,
        sink: AlertSink,
        *,
        hostname: str = "",
        exit_only: bool = True,
        forensics: Forensics | None = None,
        responder: Responder | None = None,
    ) -> None:
        self.ruleset = ruleset
        self.sink = sink
        self.hostname = hostname
        self.exit_only = exit_only
        self.forensics = forensics
        self.responder = responder
        typed = all(r.event_types is not None for r in ruleset.rules
                    if r.enabled and r.source == SOURCE)  # fmt: skip
        self.event_types: frozenset[str] | None = ruleset.event_types(SOURCE) if typed else None
        """What the rules need (None: every event, some rule is not typed)."""
        self.raised = 0
        self._enter_only = enter_only()

    def wants(self, name: str, direction: str) -> bool:
        """Whether an event of this name and direction is evaluated at all."""
        if direction == ">" and self.exit_only and name not in self._enter_only:
            return False
        return self.event_types is None or name in self.event_types

    def evaluate(self, view: EventView) -> Alert | None:
        """Match one view; emit and return its alert, if a rule matches."""
        match = self.ruleset.match_first(view, SOURCE)
        if match is None:
            return None
        alert = self.alert(match, view)
        self.raised += 1
        self.sink.emit(alert)
        if self.responder is not None:  # queued: the policy's actions run off this thread
            self.responder.submit(alert, ResponseContext.from_view(view))
        return alert

    def alert(self, match: Match, view: EventView) -> Alert:
        alert = Alert.from_match(match, view.ts, hostname=self.hostname, evt_num=view.event.num,
                                 identity=self.identity(view))  # fmt: skip
        if self.forensics is not None and view.thread is not None:
            path = self.forensics.trigger(view.engine, view.thread, view.ts, match.name)
            if path is not None:
                alert = dataclasses.replace(alert, capture=path)
        return alert

    def identity(self, view: EventView) -> dict[str, str]:
        out = {"host": self.hostname} if self.hostname else {}
        thread = view.thread
        if thread is None or thread.container_id == HOST:
            return out
        out["container_id"] = thread.container_id
        info = view.engine.container(thread)
        if info is not None:
            if info.name:
                out["container_name"] = info.name
            repo = info.image_repository or info.image
            if repo:
                out["image"] = f"{repo}:{info.image_tag}" if info.image_tag else repo
        return out

    def start(self) -> None:
        """Apply the response policy's standing mitigations (exec/connect blocks)."""
        if self.responder is not None:
            self.responder.start()

    def close(self) -> None:
        """Finish queued responses and lift the mitigations, close the open captures,
        then the sink (flushes; the webhook drains)."""
        if self.responder is not None:
            self.responder.stop()
        if self.forensics is not None:
            self.forensics.close()
        self.sink.close()
