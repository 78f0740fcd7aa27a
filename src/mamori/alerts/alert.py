"""`Alert`: one rule match, whatever the source (syscall, CloudTrail, Kubernetes audit).

Its two renderings are Falco's, so anything that consumes Falco's outputs (Falcosidekick,
a SIEM parser) reads mamori's unchanged:

- `Alert.text`: ``2026-11-29T18:31:56.746609046+0000: Warning <output>``;
- `Alert.json`: Falco's ``json_output`` document (``hostname``, ``output``,
  ``output_fields``, ``priority``, ``rule``, ``source``, ``tags``, ``time``), with what
  mamori adds (identity, forensic capture, event number) under the one key Falco does
  not use, ``mamori``.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from typing import Any

from mamori.rules import Match, Priority

_NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Alert:
    """One rule match. ``ts`` is the event's time in ns since the epoch; ``fields`` the
    raw values of the output's fields (None: Falco's ``<NA>``); ``identity`` says where
    it happened (``host``, ``container_id``, ``image``, ``account``, ``region``...);
    ``capture`` the path of a forensic ``.scap`` capture of it, if one is written."""

    ts: int
    rule: str
    priority: Priority
    output: str
    source: str
    tags: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)
    hostname: str = ""
    evt_num: int = 0
    identity: dict[str, str] = field(default_factory=dict)
    capture: str | None = None

    @classmethod
    def from_match(
        cls,
        match: Match,
        ts: int,
        *,
        hostname: str = "",
        evt_num: int = 0,
        identity: dict[str, str] | None = None,
    ) -> Alert:
        """The alert of a `mamori.rules.Match` on an event of time `ts` (ns)."""
        return cls(
            ts=ts, rule=match.name, priority=match.priority, output=match.output,
            source=match.source, tags=tuple(match.tags), fields=dict(match.fields),
            hostname=hostname, evt_num=evt_num, identity=dict(identity or {}),
        )  # fmt: skip

    @property
    def name(self) -> str:
        """The rule's name (as `mamori.rules.Match.name`)."""
        return self.rule

    @property
    def iso_time(self) -> str:
        """``2026-11-29T18:31:56.746609046+0000`` (UTC, ns), as Falco's text output."""
        secs, ns = divmod(self.ts, _NS)
        return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(secs))}.{ns:09d}+0000"

    def text(self) -> str:
        """Falco's text line: ``<time>: <Priority> <output>``."""
        return f"{self.iso_time}: {self.priority.label} {self.output}"

    def json(self) -> dict[str, Any]:
        """Falco's JSON alert (keys in Falco's order) plus ``mamori``: identity, capture,
        evt_num (only those that are set)."""
        doc: dict[str, Any] = {
            "hostname": self.hostname,
            "output": self.text(),
            "output_fields": {k: jsonable(v) for k, v in self.fields.items()},
            "priority": self.priority.label,
            "rule": self.rule,
            "source": self.source,
            "tags": list(self.tags),
            "time": f"{self.iso_time[:-5]}Z",
        }
        extra: dict[str, Any] = {}
        if self.identity:
            extra["identity"] = dict(self.identity)
        if self.capture is not None:
            extra["capture"] = self.capture
        if self.evt_num:
            extra["evt_num"] = self.evt_num
        if extra:
            doc["mamori"] = extra
        return doc


def jsonable(value: Any) -> Any:
    """A field value as JSON: numbers and strings as they are, bytes as text, lists for
    tuples and sets, addresses and anything else as their text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, tuple | list | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    return str(value)
