"""Pure evaluation of VPC traffic rules, as collected in CloudResource attributes.

Shared by the exposure analysis and the CIS networking checks, so both read security
groups, network ACLs and routes the same way.

- Security groups are allow-lists: traffic is open when any rule allows it.
- Network ACLs are evaluated in rule-number order and the first matching rule decides;
  what no rule matches is denied (the `*` rule). "From the internet" means from an
  arbitrary internet address, so only entries whose source is the whole address space
  (0.0.0.0/0 or ::/0) can match it: an entry for a narrower range matches only some
  internet addresses and is not taken to decide for all of them.
- Ports matter for TCP and UDP only; ICMP entries are taken to cover every ICMP type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Family = Literal["ipv4", "ipv6"]
WORLD: dict[Family, str] = {"ipv4": "0.0.0.0/0", "ipv6": "::/0"}
ALL = "-1"  # every protocol
OTHER = "other"  # every protocol not otherwise named (what an all-traffic rule leaves)
TCP, UDP = "6", "17"
PORTED = frozenset({TCP, UDP})
ADMIN_PORTS = (22, 3389)  # SSH, RDP: CIS AWS 5.1-5.3
_NUMBERS = {"tcp": TCP, "udp": UDP, "icmp": "1", "icmpv6": "58", "all": ALL}
_LABELS = {TCP: "tcp", UDP: "udp", "1": "icmp", "58": "icmpv6"}

Span = tuple[int, int]
_ANY_PORT: Span = (0, 65535)


def protocol_number(value: Any) -> str:
    """A protocol as AWS writes it ("tcp", "6", -1, ...) as an IANA number string or ALL."""
    text = str(ALL if value is None else value).strip().lower()
    return _NUMBERS.get(text, text)


@dataclass(frozen=True)
class Traffic:
    """A protocol and, for TCP/UDP, an inclusive port span (None: the whole protocol).

    OTHER stands for every protocol but those in `excluded` (what an all-traffic ACL
    rule decides once earlier rules have decided some protocols).
    """

    protocol: str
    ports: Span | None = None
    excluded: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if self.protocol == ALL:
            return "all traffic"
        if self.protocol == OTHER:
            names = [_LABELS.get(p, f"protocol {p}") for p in self.excluded]
            return f"all traffic but {', '.join(names)}" if names else "all traffic"
        name = _LABELS.get(self.protocol, f"protocol {self.protocol}")
        if self.ports is None:
            return name
        low, high = self.ports
        return f"{name}/{low}" if low == high else f"{name}/{low}-{high}"

    def covers(self, protocol: str, port: int) -> bool:
        """Whether this traffic includes `port` of `protocol`."""
        if self.protocol == ALL:
            return True
        if self.protocol == OTHER:
            return protocol not in self.excluded
        if self.protocol != protocol:
            return False
        return self.ports is None or self.ports[0] <= port <= self.ports[1]


def sg_rule_traffic(rule: Mapping[str, Any]) -> Traffic:
    """The traffic one flattened security-group rule allows."""
    protocol = protocol_number(rule.get("protocol"))
    if protocol not in PORTED:
        return Traffic(protocol)
    low, high = rule.get("from_port"), rule.get("to_port")
    if low is None or high is None or int(low) < 0:
        return Traffic(protocol, _ANY_PORT)
    return Traffic(protocol, (max(0, int(low)), min(65535, int(high))))


@dataclass(frozen=True)
class OpenRule:
    """A security-group ingress rule open to the whole internet."""

    group_id: str
    traffic: Traffic
    source: str

    @property
    def label(self) -> str:
        return f"{self.group_id} allows {self.traffic.label} from {self.source}"


def world_ingress(group_id: str, attributes: Mapping[str, Any], family: Family) -> list[OpenRule]:
    """The group's ingress rules whose source is 0.0.0.0/0 (ipv4) or ::/0 (ipv6)."""
    key = "ipv4_ranges" if family == "ipv4" else "ipv6_ranges"
    return [
        OpenRule(group_id, sg_rule_traffic(rule), WORLD[family])
        for rule in attributes.get("ingress") or []
        if WORLD[family] in (rule.get(key) or [])
    ]


@dataclass(frozen=True)
class AclDecision:
    """Traffic that a network ACL rule decided."""

    rule_number: int
    traffic: Traffic


def _full(protocol: str) -> list[Span]:
    return [_ANY_PORT] if protocol in PORTED else [(0, 0)]


def _split(spans: list[Span], cut: Span) -> tuple[list[Span], list[Span]]:
    """(the parts of `spans` inside `cut`, the parts outside it)."""
    inside: list[Span] = []
    outside: list[Span] = []
    for low, high in spans:
        if high < cut[0] or low > cut[1]:
            outside.append((low, high))
            continue
        inside.append((max(low, cut[0]), min(high, cut[1])))
        if low < cut[0]:
            outside.append((low, cut[0] - 1))
        if high > cut[1]:
            outside.append((cut[1] + 1, high))
    return inside, outside


def _piece(protocol: str, span: Span) -> Traffic:
    return Traffic(protocol, span if protocol in PORTED else None)


def _entry_span(entry: Mapping[str, Any], protocol: str) -> Span:
    low, high = entry.get("port_from"), entry.get("port_to")
    if protocol not in PORTED:
        return (0, 0)
    if low is None or high is None:
        return _ANY_PORT
    return (int(low), int(high))


def acl_allowed(
    entries: Iterable[Mapping[str, Any]], wanted: Traffic, family: Family, *, egress: bool = False
) -> list[AclDecision]:
    """The parts of `wanted` (to or from the whole internet) the ACL lets through.

    First match wins, in rule-number order, over the entries of one direction whose
    address is the whole internet; traffic no entry matches is denied.
    """
    key = "cidr" if family == "ipv4" else "ipv6_cidr"
    rules = sorted(
        (e for e in entries if bool(e.get("egress")) == egress and e.get(key) == WORLD[family]),
        key=lambda e: int(e["rule_number"]),
    )
    others = wanted.protocol == ALL  # protocols not yet named by a rule are still undecided
    rest: dict[str, list[Span]] = {}
    if not others:
        rest[wanted.protocol] = [wanted.ports] if wanted.ports else _full(wanted.protocol)
    allowed: list[AclDecision] = []
    for entry in rules:
        number, allow = int(entry["rule_number"]), entry.get("action") == "allow"
        protocol = protocol_number(entry.get("protocol"))
        if protocol == ALL:
            if allow:
                for name, spans in rest.items():
                    allowed.extend(AclDecision(number, _piece(name, s)) for s in spans)
                if others:
                    left = Traffic(OTHER, excluded=tuple(sorted(rest))) if rest else Traffic(ALL)
                    allowed.append(AclDecision(number, left))
            return allowed
        if protocol not in rest:
            if not others:
                continue
            rest[protocol] = _full(protocol)
        hit, rest[protocol] = _split(rest[protocol], _entry_span(entry, protocol))
        if allow:
            allowed.extend(AclDecision(number, _piece(protocol, s)) for s in hit)
        if not others and not any(rest.values()):
            break
    return allowed


def internet_route(routes: Iterable[Mapping[str, Any]], family: Family) -> Mapping[str, Any] | None:
    """The route sending the whole internet (0.0.0.0/0 or ::/0) to an internet gateway."""
    key = "destination_cidr" if family == "ipv4" else "destination_ipv6_cidr"
    for route in routes:
        gateway = str(route.get("gateway_id") or "")
        live = route.get("state") != "blackhole"
        if route.get(key) == WORLD[family] and gateway.startswith("igw-") and live:
            return route
    return None
