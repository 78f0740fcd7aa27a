"""Security-group, network-ACL and route evaluation (pure functions, hand-built rules).

The network-ACL evaluator works on port spans; its oracle is a naive per-packet
first-match walk written here, compared on many packets of random rule sets.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.posture.exposure.netrules import (
    ALL,
    OTHER,
    AclDecision,
    Family,
    Traffic,
    acl_allowed,
    internet_route,
    protocol_number,
    sg_rule_traffic,
    world_ingress,
)

TCP, UDP, ICMP = "6", "17", "1"


def entry(
    number: int,
    action: str,
    protocol: str = TCP,
    ports: tuple[int, int] | None = None,
    *,
    cidr: str = "0.0.0.0/0",
    egress: bool = False,
) -> dict[str, Any]:
    v6 = ":" in cidr
    return {
        "rule_number": number,
        "egress": egress,
        "protocol": protocol,
        "action": action,
        "cidr": None if v6 else cidr,
        "ipv6_cidr": cidr if v6 else None,
        "port_from": ports[0] if ports else None,
        "port_to": ports[1] if ports else None,
        "icmp_type": None,
        "icmp_code": None,
    }


def labels(decisions: list[AclDecision]) -> list[tuple[int, str]]:
    return [(d.rule_number, d.traffic.label) for d in decisions]


def test_protocol_numbers() -> None:
    assert [protocol_number(p) for p in ("tcp", "UDP", "icmp", "icmpv6", -1, "-1", None)] == [
        TCP, UDP, ICMP, "58", ALL, ALL, ALL,
    ]  # fmt: skip
    assert protocol_number("50") == "50" and protocol_number(6) == TCP


def test_security_group_rules() -> None:
    assert sg_rule_traffic({"protocol": "tcp", "from_port": 20, "to_port": 25}) == Traffic(
        TCP, (20, 25)
    )
    assert sg_rule_traffic({"protocol": "-1", "from_port": None}) == Traffic(ALL)
    assert sg_rule_traffic({"protocol": "udp", "from_port": None}) == Traffic(UDP, (0, 65535))
    assert sg_rule_traffic({"protocol": "icmp", "from_port": 8, "to_port": -1}) == Traffic(ICMP)
    assert sg_rule_traffic({"protocol": "50", "from_port": None}) == Traffic("50")
    attrs = {
        "ingress": [
            {"protocol": "tcp", "from_port": 22, "to_port": 22, "ipv4_ranges": ["0.0.0.0/0"]},
            {"protocol": "tcp", "from_port": 80, "to_port": 80, "ipv4_ranges": ["10.0.0.0/8"]},
            {"protocol": "-1", "ipv4_ranges": [], "ipv6_ranges": ["::/0"]},
            {"protocol": "-1", "groups": ["sg-2"]},
        ]
    }
    v4 = world_ingress("sg-1", attrs, "ipv4")
    assert [r.label for r in v4] == ["sg-1 allows tcp/22 from 0.0.0.0/0"]
    assert [r.label for r in world_ingress("sg-1", attrs, "ipv6")] == [
        "sg-1 allows all traffic from ::/0"
    ]


def test_admin_port_coverage() -> None:
    assert Traffic(TCP, (0, 1024)).covers(TCP, 22)
    assert not Traffic(TCP, (0, 1024)).covers(TCP, 3389)
    assert not Traffic(UDP, (0, 65535)).covers(TCP, 22)
    assert Traffic(ALL).covers(TCP, 3389)
    assert Traffic(OTHER, excluded=(UDP,)).covers(TCP, 22)
    assert not Traffic(OTHER, excluded=(TCP,)).covers(TCP, 22)


def test_first_match_wins_in_rule_number_order() -> None:
    entries = [entry(200, "allow", ALL), entry(100, "deny", TCP, (22, 22))]
    assert acl_allowed(entries, Traffic(TCP, (22, 22)), "ipv4") == []
    assert labels(acl_allowed(entries, Traffic(TCP, (0, 65535)), "ipv4")) == [
        (200, "tcp/0-21"),
        (200, "tcp/23-65535"),
    ]
    assert labels(acl_allowed(entries, Traffic(ALL), "ipv4")) == [
        (200, "tcp/0-21"),
        (200, "tcp/23-65535"),
        (200, "all traffic but tcp"),
    ]


def test_all_traffic_allowed_once() -> None:
    entries = [entry(100, "allow", ALL), entry(32767, "deny", ALL)]
    assert labels(acl_allowed(entries, Traffic(ALL), "ipv4")) == [(100, "all traffic")]
    assert labels(acl_allowed(entries, Traffic(UDP, (53, 53)), "ipv4")) == [(100, "udp/53")]
    assert labels(acl_allowed(entries, Traffic(ICMP), "ipv4")) == [(100, "icmp")]


def test_only_named_traffic_passes_a_narrow_acl() -> None:
    entries = [entry(100, "allow", TCP, (443, 443)), entry(110, "allow", TCP, (80, 90))]
    assert labels(acl_allowed(entries, Traffic(ALL), "ipv4")) == [
        (100, "tcp/443"),
        (110, "tcp/80-90"),
    ]
    assert acl_allowed(entries, Traffic(UDP, (0, 65535)), "ipv4") == []
    assert labels(acl_allowed(entries, Traffic(TCP, (85, 500)), "ipv4")) == [
        (100, "tcp/443"),
        (110, "tcp/85-90"),
    ]


def test_only_whole_internet_entries_of_the_family_and_direction_count() -> None:
    narrow = [entry(100, "allow", ALL, cidr="10.0.0.0/8")]
    assert acl_allowed(narrow, Traffic(ALL), "ipv4") == []
    v6 = [entry(100, "allow", ALL, cidr="::/0")]
    assert acl_allowed(v6, Traffic(ALL), "ipv4") == []
    assert labels(acl_allowed(v6, Traffic(ALL), "ipv6")) == [(100, "all traffic")]
    out = [entry(100, "allow", ALL, egress=True)]
    assert acl_allowed(out, Traffic(ALL), "ipv4") == []
    assert labels(acl_allowed(out, Traffic(ALL), "ipv4", egress=True)) == [(100, "all traffic")]
    assert acl_allowed([], Traffic(TCP, (22, 22)), "ipv4") == []  # the implicit `*` deny


def test_internet_route() -> None:
    routes = [
        {"destination_cidr": "10.0.0.0/16", "gateway_id": "local", "state": "active"},
        {"destination_cidr": "0.0.0.0/0", "nat_gateway_id": "nat-1", "state": "active"},
        {"destination_ipv6_cidr": "::/0", "gateway_id": "igw-1", "state": "active"},
    ]
    assert internet_route(routes, "ipv4") is None
    assert internet_route(routes, "ipv6") == routes[2]
    dead = [{"destination_cidr": "0.0.0.0/0", "gateway_id": "igw-1", "state": "blackhole"}]
    assert internet_route(dead, "ipv4") is None
    live = [{"destination_cidr": "0.0.0.0/0", "gateway_id": "igw-2", "state": "active"}]
    assert internet_route(live, "ipv4") == live[0]


# Property: the span evaluator agrees with a per-packet first-match walk.

PORTS = [0, 1, 21, 22, 23, 80, 443, 1023, 1024, 3389, 65534, 65535]
PROTOCOLS = [ALL, TCP, UDP, ICMP]
CIDRS = ["0.0.0.0/0", "10.0.0.0/8", "::/0"]


def first_match(
    entries: list[dict[str, Any]], protocol: str, port: int, family: Family, egress: bool
) -> bool:
    world = "0.0.0.0/0" if family == "ipv4" else "::/0"
    key = "cidr" if family == "ipv4" else "ipv6_cidr"
    for e in sorted(entries, key=lambda e: e["rule_number"]):
        if e["egress"] != egress or e[key] != world:
            continue
        if e["protocol"] == ALL:
            return bool(e["action"] == "allow")
        if e["protocol"] != protocol:
            continue
        if protocol in (TCP, UDP) and not e["port_from"] <= port <= e["port_to"]:
            continue
        return bool(e["action"] == "allow")
    return False


@st.composite
def acl(draw: st.DrawFn) -> list[dict[str, Any]]:
    numbers = draw(st.lists(st.integers(1, 300), min_size=0, max_size=8, unique=True))
    found = []
    for number in numbers:
        protocol = draw(st.sampled_from(PROTOCOLS))
        ports = None
        if protocol in (TCP, UDP):
            low, high = sorted(draw(st.lists(st.sampled_from(PORTS), min_size=2, max_size=2)))
            ports = (low, high)
        action = draw(st.sampled_from(["allow", "deny"]))
        cidr = draw(st.sampled_from(CIDRS))
        found.append(entry(number, action, protocol, ports, cidr=cidr, egress=draw(st.booleans())))
    return found


@st.composite
def wanted(draw: st.DrawFn) -> Traffic:
    protocol = draw(st.sampled_from([ALL, TCP, UDP, ICMP, "50"]))
    if protocol in (TCP, UDP):
        low, high = sorted(draw(st.lists(st.sampled_from(PORTS), min_size=2, max_size=2)))
        return Traffic(protocol, (low, high))
    return Traffic(protocol)


@settings(max_examples=400, deadline=None)
@given(acl(), wanted(), st.sampled_from(["ipv4", "ipv6"]), st.booleans())
def test_spans_agree_with_a_per_packet_walk(
    entries: list[dict[str, Any]], traffic: Traffic, family: Family, egress: bool
) -> None:
    decisions = acl_allowed(entries, traffic, family, egress=egress)
    for protocol in (TCP, UDP, ICMP, "50"):
        for port in PORTS:
            inside = traffic.covers(protocol, port)
            passed = any(d.traffic.covers(protocol, port) for d in decisions)
            expected = inside and first_match(entries, protocol, port, family, egress)
            assert passed == expected, (protocol, port, labels(decisions))
