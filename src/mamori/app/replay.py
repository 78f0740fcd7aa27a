"""Replaying a ``.scap`` capture through the state engine and the rules, as ``falco -e``.

    for alert in replay("trace.scap", ["falco_rules.yaml"]):
        print(alert.text())                      # 2016-08-04T16:17:57.881781397+0000: Warning ...
    for line in filter_events("trace.scap", "evt.type=open and fd.name contains /etc"):
        print(line)                              # like sysdig -r FILE FILTER

Every event goes through the state engine in file order, then (when a rule of its type
is loaded) through the rules. Like Falco 0.3x on a capture (the era of the captures and
regression specs we test against), both enter and exit events are evaluated, and at
most one alert is raised per event: the first matching rule in load order (Falco's
``rule_matching: first``; ``match_all`` gives every match). Rules that must only see
one direction say ``evt.dir``; ``exit_only`` drops enter events as today's Falco, whose
drivers no longer send them, does.

Speed: an event whose type no loaded rule needs is not viewed or evaluated at all, and
when it cannot change the state either (no handler for it, it creates no fd, it is not
a metadata event) it is not even decoded: the reader skips its code
(`ScapReader.events` ``skip``), still numbering it and reporting its time (for
``evt.num`` and ``evt.deltatime``). The alerts are the same: the test suite replays
every shared capture both ways.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from mamori.alerts import Alert
from mamori.captures.scap import EVENTS, ScapReader
from mamori.captures.scap.events import GENERIC_E, GENERIC_X
from mamori.rules import RuleSet, load, load_files
from mamori.rules.sources.syscall import GENERIC
from mamori.rules.syscall_extract import Session
from mamori.rules.syscall_fields.event_types import EVENT_TYPES as ALL_TYPES
from mamori.runtime.state import Group, StateEngine, User
from mamori.runtime.state.engine import _ENTER_HANDLERS, _EXIT_HANDLERS
from mamori.runtime.state.meta_events import METADATA_EVENTS
from mamori.runtime.state.semantics import FD_CREATORS

SOURCE = "syscall"
DEFAULT_FILTER_FORMAT = (
    "%evt.num %evt.time %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.args"
)
"""What ``--filter`` prints per event by default: sysdig's default line."""

# Event names the state engine acts on: never skipped, whatever the rules need.
STATEFUL: frozenset[str] = (
    frozenset(_EXIT_HANDLERS) | frozenset(_ENTER_HANDLERS) | frozenset(METADATA_EVENTS)
) | FD_CREATORS


class ReplayError(ValueError):
    """The rules or the filter do not load (the message lists Falco's load errors)."""


@cache
def _kinds_table() -> dict[tuple[str, str], dict[str, str]]:
    """(event name, direction) -> parameter name -> rendering kind, from the event table."""
    table: dict[tuple[str, str], dict[str, str]] = {}
    for info in EVENTS:
        kinds = table.setdefault((info.name, info.dir), {})
        names = [p.name for p in info.params]
        for p in info.params:
            kind = _kind(p.type, p.fmt)
            if p.type == "rp" and p.info.isdigit() and int(p.info) < len(names):
                kind = "rp:" + names[int(p.info)]  # resolved against that dirfd parameter
            if not kinds.get(p.name):  # versions of an event: the most specific kind wins
                kinds[p.name] = kind
    return table


def _kind(wire: str, fmt: str) -> str:
    if wire in ("fd", "uid", "gid", "sc", "pid"):
        return wire
    if wire == "p":
        return "path"
    if wire == "e":
        return "errno"
    if wire.startswith(("f", "ef")) and wire[-1].isdigit():
        return "flags"
    return {"x": "hex", "o": "oct"}.get(fmt, "")


_NO_KINDS: dict[str, str] = {}


def param_kinds(name: str, direction: str) -> Mapping[str, str]:
    """How the capture's event table types each parameter (see `Session`)."""
    return _kinds_table().get((name, direction), _NO_KINDS)


def load_rules(rules_files: Iterable[str | Path]) -> RuleSet:
    ruleset = load_files(rules_files)
    if ruleset.result.errors:
        raise ReplayError("\n".join(str(e) for e in ruleset.result.errors))
    return ruleset


def filter_ruleset(expr: str, fmt: str = DEFAULT_FILTER_FORMAT) -> RuleSet:
    """A filter expression (a Falco condition) as a one-rule ruleset printing `fmt`."""
    text = yaml.safe_dump(
        [{"rule": "filter", "desc": "filter", "condition": expr, "output": fmt,
          "priority": "DEBUG"}],
        sort_keys=False,
    )  # fmt: skip
    ruleset = load([("--filter", text)])
    if ruleset.result.errors:
        raise ReplayError("\n".join(e.message for e in ruleset.result.errors))
    return ruleset


def replay(
    path: str | Path,
    rules_files: Iterable[str | Path] = (),
    *,
    ruleset: RuleSet | None = None,
    filter_expr: str | None = None,
    match_all: bool = False,
    exit_only: bool = False,
    skip_unneeded: bool = True,
    on_warning: Callable[[str], None] | None = None,
) -> Iterator[Alert]:
    """The alerts the rules raise over the capture at `path`, in event order.

    Give `rules_files` (loaded in order, like several ``-r``) or a loaded `ruleset`;
    `filter_expr` adds a condition every alerting event must also satisfy."""
    if ruleset is None:
        ruleset = load_rules(rules_files)
    keep = filter_ruleset(filter_expr).rules[0].check if filter_expr else None
    for view, ruleset_matches in _evaluate(path, ruleset, match_all, exit_only,
                                           skip_unneeded, on_warning):  # fmt: skip
        if keep is not None and not keep(view):
            continue
        for m in ruleset_matches:
            yield Alert(ts=view.ts, rule=m.name, priority=m.priority, output=m.output,
                        source=m.source, tags=tuple(m.tags), fields=dict(m.fields),
                        hostname=view.session.hostname, evt_num=view.event.num)  # fmt: skip


def filter_events(
    path: str | Path,
    expr: str,
    fmt: str = DEFAULT_FILTER_FORMAT,
    *,
    on_warning: Callable[[str], None] | None = None,
) -> Iterator[str]:
    """Every event of the capture the filter accepts, printed with `fmt` (``%field``s),
    like ``sysdig -r FILE -p FMT FILTER``."""
    ruleset = filter_ruleset(expr, fmt)
    for _view, matches in _evaluate(path, ruleset, False, False, True, on_warning):
        for m in matches:
            yield m.output


def _evaluate(
    path: str | Path,
    ruleset: RuleSet,
    match_all: bool,
    exit_only: bool,
    skip_unneeded: bool,
    on_warning: Callable[[str], None] | None,
) -> Iterator[tuple[Any, list[Any]]]:
    engine = StateEngine()
    with ScapReader(path, on_warning=on_warning or _ignore) as reader:
        engine.load_threads(reader.threads)
        engine.load_fds(reader.fds)
        for u in reader.users:
            engine.users.add_user(User(u.uid, u.gid, u.name, u.homedir, u.shell))
        for g in reader.groups:
            engine.users.add_group(Group(g.gid, g.name))
        hostname = reader.machine.hostname if reader.machine is not None else ""
        session = Session(engine, hostname=hostname, param_kinds=param_kinds)
        needed = ruleset.event_types(SOURCE) if _typed(ruleset) else None
        process, stamp, view = engine.process, session.stamp, session.view
        match_every, match_first = ruleset.match, ruleset.match_first
        events = (
            reader.events()
            if needed is None or not skip_unneeded
            else reader.events(skip=_skip_codes(needed | STATEFUL), on_skip=session.stamp)
        )
        for event in events:
            stamp(event.ts)  # session.observe(event), one call fewer
            name = event.name
            if (
                needed is not None
                and name not in needed
                and (name in ALL_TYPES or GENERIC not in needed)
            ):
                if not skip_unneeded or name in STATEFUL:
                    process(event)
                continue
            ctx = process(event)
            if exit_only and event.dir == ">":
                continue
            v = view(ctx)
            if match_all:
                found = match_every(v, SOURCE)
                if found:
                    yield v, found
            else:
                first = match_first(v, SOURCE)
                if first is not None:
                    yield v, [first]


_DEDICATED = frozenset(e.name for e in EVENTS if e.code not in (GENERIC_E, GENERIC_X))


def _skip_codes(wanted: frozenset[str]) -> frozenset[int]:
    """The event codes of every event whose name is not in `wanted`. Generic events
    carry the syscall's name in a parameter: they are skipped only when no wanted name
    can come as one (every wanted name has an event of its own)."""
    generic_wanted = GENERIC in wanted or bool(wanted - _DEDICATED)
    return frozenset(
        e.code
        for e in EVENTS
        if e.name not in wanted and (e.code not in (GENERIC_E, GENERIC_X) or not generic_wanted)
    )


def _typed(ruleset: RuleSet) -> bool:
    """True when every enabled rule of the source is indexed by event type."""
    return all(r.event_types is not None for r in ruleset.rules if r.enabled and r.source == SOURCE)


def _ignore(_message: str) -> None:
    return None
