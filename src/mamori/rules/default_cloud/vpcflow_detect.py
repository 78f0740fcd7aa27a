"""Aggregate detections over VPC Flow Log records, reported like rule matches.

Two detections need state across records, which Falco's rule language cannot keep:

- `PortProbe`: **one source probing many ports**. Per source address, the distinct
  destination ports of its TCP and UDP flows (accepted or rejected, any destination)
  whose ``start`` falls within `PortProbe.window` seconds (default 300) of the latest
  one seen; at `PortProbe.min_ports` (default 25) distinct ports it reports once, and
  again only after the count has fallen below the threshold. A flow from a port below
  32768 to a port at or above 32768 is taken for a server's answer to a client's
  ephemeral port and not counted (so a busy server does not look like a scanner; a
  scanner using a low source port against high ports is missed). A horizontal sweep
  (one port on many hosts) is not this detection.
- `EgressVolume`: **unusual egress volume per interface**. Per interface, the bytes of
  accepted egress flows (``flow-direction`` ``egress`` when the format has it, else a
  non-public source sending to a public destination) in fixed windows of
  `EgressVolume.window` seconds (default 3600) of flow ``start``. It reports once per
  window, as soon as the window's total reaches `min_bytes` (100 MiB) and either
  `factor` (10) times the median of the interface's last `history` (24) windows that
  had egress, once at least `min_history` (3) such windows are known, or
  `absolute_bytes` (10 GiB) whatever the history. Late records (an earlier window)
  count in the open window.

Each result is a `mamori.rules.Match` whose rule (``Port probe from one source``,
``Unusual egress volume from an interface``) has the ``vpc_flow`` source, a priority
and MITRE tags; its output starts with the aggregate and then renders the rule's
output on the record that crossed the threshold; its ``fields`` hold both::

    detectors = FlowDetectors()
    for record in read_vpc_flow("AWSLogs/"):
        for m in detectors.feed(record): print(m.priority.label, m.name, m.output)

Memory is bounded: at most `max_keys` sources or interfaces (least recently seen
dropped) and `PortProbe.max_flows` flows per source.
"""

from __future__ import annotations

import ipaddress
import statistics
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mamori.rules.default_cloud.detectors import detector_match, detector_rule
from mamori.rules.priority import Priority
from mamori.rules.rule import Match, Rule

EPHEMERAL_START = 32768
MIB = 1 << 20

PORT_PROBE_RULE = detector_rule(
    "Port probe from one source",
    "One source address sent TCP/UDP flows to at least PortProbe.min_ports distinct "
    "destination ports within PortProbe.window seconds (rules.default_cloud.vpcflow_detect).",
    Priority.WARNING,
    "vpc_flow",
    ("aws", "vpc_flow", "network", "mitre_discovery", "T1046"),
    "src=%flow.srcaddr last_dst=%flow.dstaddr:%flow.dstport action=%flow.action "
    "interface=%flow.interface_id account=%flow.account_id start=%flow.start",
)

EGRESS_RULE = detector_rule(
    "Unusual egress volume from an interface",
    "An interface's accepted egress bytes in one EgressVolume.window reached min_bytes "
    "and factor times its usual volume, or absolute_bytes (rules.default_cloud.vpcflow_detect).",
    Priority.WARNING,
    "vpc_flow",
    ("aws", "vpc_flow", "network", "mitre_exfiltration", "T1048"),
    "interface=%flow.interface_id account=%flow.account_id src=%flow.srcaddr "
    "last_dst=%flow.dstaddr:%flow.dstport start=%flow.start",
)


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _global(addr: Any) -> bool | None:
    try:
        return ipaddress.ip_address(addr).is_global if isinstance(addr, str) else None
    except ValueError:
        return None


@dataclass
class _Ports:
    flows: deque[tuple[int, int]] = field(default_factory=deque)
    counts: Counter[int] = field(default_factory=Counter)
    armed: bool = True


@dataclass
class PortProbe:
    """One source probing many destination ports (see the module docstring)."""

    min_ports: int = 25
    window: int = 300
    max_keys: int = 100_000
    max_flows: int = 100_000
    rule: Rule = field(default_factory=lambda: PORT_PROBE_RULE)
    _state: OrderedDict[str, _Ports] = field(default_factory=OrderedDict, repr=False)

    def feed(self, record: dict[str, Any]) -> list[Match]:
        src, port = record.get("srcaddr"), _int(record.get("dstport"))
        start, sport = _int(record.get("start")), _int(record.get("srcport"))
        if (
            record.get("log-status", "OK") != "OK"
            or record.get("protocol") not in (6, 17)
            or not isinstance(src, str)
            or port is None
            or start is None
            or (sport is not None and sport < EPHEMERAL_START <= port)
        ):
            return []
        st = self._state.pop(src, None) or _Ports()
        self._state[src] = st
        if len(self._state) > self.max_keys:
            self._state.popitem(last=False)
        st.flows.append((start, port))
        st.counts[port] += 1
        horizon = max(t for t, _ in st.flows) - self.window
        while st.flows and (st.flows[0][0] < horizon or len(st.flows) > self.max_flows):
            _, old = st.flows.popleft()
            st.counts[old] -= 1
            if not st.counts[old]:
                del st.counts[old]
        distinct = len(st.counts)
        if distinct < self.min_ports:
            st.armed = True
            return []
        if not st.armed:
            return []
        st.armed = False
        headline = (
            f"{src} sent flows to {distinct} distinct ports within {self.window} s "
            f"(threshold {self.min_ports})"
        )
        extra = {"ports.distinct": distinct, "ports.sample": sorted(st.counts)[:50]}
        return [detector_match(self.rule, record, headline, extra)]


@dataclass
class _Egress:
    bucket: int
    total: int = 0
    history: deque[int] = field(default_factory=deque)
    reported: bool = False


@dataclass
class EgressVolume:
    """Unusual egress volume per interface (see the module docstring)."""

    window: int = 3600
    min_bytes: int = 100 * MIB
    factor: float = 10.0
    min_history: int = 3
    history: int = 24
    absolute_bytes: int = 10 << 30
    max_keys: int = 100_000
    rule: Rule = field(default_factory=lambda: EGRESS_RULE)
    _state: OrderedDict[str, _Egress] = field(default_factory=OrderedDict, repr=False)

    def is_egress(self, record: dict[str, Any]) -> bool:
        if record.get("log-status", "OK") != "OK" or record.get("action") != "ACCEPT":
            return False
        direction = record.get("flow-direction")
        if isinstance(direction, str):
            return direction == "egress"
        return _global(record.get("srcaddr")) is False and _global(record.get("dstaddr")) is True

    def feed(self, record: dict[str, Any]) -> list[Match]:
        eni, size = record.get("interface-id"), _int(record.get("bytes"))
        start = _int(record.get("start"))
        if not isinstance(eni, str) or size is None or start is None:
            return []
        if not self.is_egress(record):
            return []
        bucket = start // self.window
        st = self._state.pop(eni, None) or _Egress(bucket)
        self._state[eni] = st
        if len(self._state) > self.max_keys:
            self._state.popitem(last=False)
        if bucket > st.bucket:
            if st.total:
                st.history.append(st.total)
                while len(st.history) > self.history:
                    st.history.popleft()
            st.bucket, st.total, st.reported = bucket, 0, False
        st.total += size
        if st.reported or st.total < self.min_bytes:
            return []
        known = st.history and len(st.history) >= self.min_history
        usual = statistics.median(st.history) if known else None
        over_usual = usual is not None and st.total >= self.factor * usual
        if not over_usual and st.total < self.absolute_bytes:
            return []
        st.reported = True
        base = "no baseline" if usual is None else f"usual {int(usual)} bytes"
        headline = (
            f"{eni} sent {st.total} bytes of egress in {self.window} s window "
            f"{st.bucket * self.window} ({base})"
        )
        extra = {"egress.bytes": st.total, "egress.usual": usual, "egress.window": st.bucket}
        return [detector_match(self.rule, record, headline, extra)]


@dataclass
class FlowDetectors:
    """Both detections, fed the same records."""

    probe: PortProbe = field(default_factory=PortProbe)
    egress: EgressVolume = field(default_factory=EgressVolume)

    def feed(self, record: dict[str, Any]) -> list[Match]:
        return [*self.probe.feed(record), *self.egress.feed(record)]

    def run(self, records: Iterable[dict[str, Any]]) -> Iterator[Match]:
        for record in records:
            yield from self.feed(record)
