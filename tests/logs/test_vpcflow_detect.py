"""Aggregate flow log detections (`mamori.rules.default_cloud.vpcflow_detect`).

Scenarios are flow log lines in AWS's documented formats, read by the real reader: a
port scan against one host, a server answering many clients, an instance exfiltrating
after hours of ordinary egress, and their benign neighbours. Expected counts follow
from the documented thresholds, worked out by hand.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.logs.vpcflow import DEFAULT_FIELDS, parse_header, parse_record, read_vpc_flow
from mamori.rules import Match
from mamori.rules.default_cloud.vpcflow_detect import EgressVolume, FlowDetectors, PortProbe

ACCOUNT = "123456789010"
ENI = "eni-0c8b9d2e1f3a4b5c6"
V5 = parse_header(
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status flow-direction"
)
MIB = 1 << 20


def flow(src: str, dst: str, sport: int, dport: int, start: int, *, action: str = "ACCEPT",
         nbytes: int = 600, proto: int = 6, eni: str = ENI) -> dict[str, Any]:  # fmt: skip
    line = (f"2 {ACCOUNT} {eni} {src} {dst} {sport} {dport} {proto} 10 {nbytes} {start} "
            f"{start + 60} {action} OK")  # fmt: skip
    return parse_record(line, DEFAULT_FIELDS)


def feed(detector: Any, records: list[dict[str, Any]]) -> list[Match]:
    return [m for r in records for m in detector.feed(r)]


def test_port_scan_reported_once_at_the_threshold() -> None:
    scan = [flow("89.248.165.52", "10.0.1.25", 61000, port, 1620140600 + i, action="REJECT")
            for i, port in enumerate(range(1, 41))]  # fmt: skip
    found = feed(PortProbe(), scan)
    assert len(found) == 1
    m = found[0]
    assert m.name == "Port probe from one source" and m.source == "vpc_flow"
    assert {"mitre_discovery", "T1046"} <= set(m.tags)
    assert m.fields["ports.distinct"] == 25
    assert m.output.startswith("89.248.165.52 sent flows to 25 distinct ports within 300 s")
    assert "last_dst=10.0.1.25:25 action=REJECT" in m.output
    assert m.fields["flow.srcaddr"] == "89.248.165.52"


def test_port_probe_benign_neighbours() -> None:
    # a server answering 100 clients: from port 443 to their ephemeral ports
    answers = [flow("10.0.1.25", "81.2.69.142", 443, 33000 + i, 1620140600) for i in range(100)]
    assert not feed(PortProbe(), answers)
    # many connections to the same few ports
    clients = [flow("10.0.1.25", "52.216.8.11", 40000 + i, (443, 80, 53)[i % 3], 1620140600,
                    proto=(6, 6, 17)[i % 3]) for i in range(300)]  # fmt: skip
    assert not feed(PortProbe(), clients)
    # 40 ports, but one every minute: never 25 within five minutes
    slow = [flow("89.248.165.52", "10.0.1.25", 61000, p, 1620140600 + 60 * p, action="REJECT")
            for p in range(1, 41)]  # fmt: skip
    assert not feed(PortProbe(), slow)
    # ICMP has no ports to probe; NODATA records carry nothing
    icmp = [flow("89.248.165.52", "10.0.1.25", 0, p, 1620140600, proto=1) for p in range(40)]
    assert not feed(PortProbe(), icmp)
    nodata = parse_record(f"2 {ACCOUNT} {ENI} - - - - - - - 1 2 - NODATA", DEFAULT_FIELDS)
    assert PortProbe().feed(nodata) == []


def test_port_probe_rearms_after_falling_below() -> None:
    probe = PortProbe(min_ports=5, window=60)
    first = [flow("45.155.205.233", "10.0.1.25", 50000, p, 1000 + p) for p in range(1, 9)]
    again = [flow("45.155.205.233", "10.0.1.25", 50000, p, 5000 + p) for p in range(1, 9)]
    assert len(feed(probe, first)) == 1
    assert len(feed(probe, again)) == 1


def test_port_probe_memory_is_bounded() -> None:
    probe = PortProbe(max_keys=50, max_flows=10)
    for i in range(500):
        probe.feed(flow(f"81.2.{i // 250}.{i % 250}", "10.0.1.25", 50000, 1 + i % 30, 1000))
    assert len(probe._state) == 50
    assert all(len(s.flows) <= 10 for s in probe._state.values())


def _hourly(hours: list[int], base: int = 1_620_000_000 // 3600 * 3600) -> list[dict[str, Any]]:
    """Egress flows of one interface: `hours[i]` bytes spread over 4 flows in hour i."""
    out = []
    for h, total in enumerate(hours):
        for k in range(4):
            out.append(flow("10.0.1.25", "52.94.133.131", 40000 + k, 443, base + h * 3600 + k * 600,
                            nbytes=total // 4))  # fmt: skip
    return out


def test_egress_spike_over_the_baseline() -> None:
    records = _hourly([10 * MIB, 12 * MIB, 9 * MIB, 11 * MIB, 400 * MIB, 10 * MIB])
    found = feed(EgressVolume(), records)
    assert len(found) == 1
    m = found[0]
    assert m.name == "Unusual egress volume from an interface"
    assert {"mitre_exfiltration", "T1048"} <= set(m.tags)
    # median of 10, 12, 9, 11 MiB is 10.5 MiB; 10x is 105 MiB: crossed on the 2nd flow
    assert m.fields["egress.bytes"] == 200 * MIB
    assert m.fields["egress.usual"] == 10.5 * MIB
    assert f"interface={ENI} account={ACCOUNT}" in m.output


def test_egress_benign_neighbours() -> None:
    # steady traffic
    assert not feed(EgressVolume(), _hourly([300 * MIB] * 8))
    # a tenfold jump that stays below min_bytes (100 MiB)
    assert not feed(EgressVolume(), _hourly([1 * MIB] * 4 + [50 * MIB]))
    # a spike before any baseline exists, below the absolute cap
    assert not feed(EgressVolume(), _hourly([2 << 30]))
    # inbound: a large download is not egress
    down = [flow("52.94.133.131", "10.0.1.25", 443, 40000, 1_620_000_000, nbytes=5 << 30)]
    assert not feed(EgressVolume(absolute_bytes=1 << 30), down)
    # rejected flows moved nothing
    rej = [flow("10.0.1.25", "52.94.133.131", 40000, 443, 1_620_000_000, nbytes=5 << 30,
                action="REJECT")]  # fmt: skip
    assert not feed(EgressVolume(absolute_bytes=1 << 30), rej)
    # private to private stays in the VPC
    east_west = [flow("10.0.1.25", "10.0.2.8", 40000, 5432, 1_620_000_000, nbytes=5 << 30)]
    assert not feed(EgressVolume(absolute_bytes=1 << 30), east_west)


def test_egress_absolute_cap_without_history_and_flow_direction() -> None:
    assert len(feed(EgressVolume(), _hourly([12 << 30]))) == 1
    assert V5 is not None
    line = f"5 {ACCOUNT} {ENI} 10.0.1.25 10.0.2.8 40000 5432 6 10 {11 << 30} 1000 1060 ACCEPT OK"
    egress = parse_record(line + " egress", V5)
    ingress = parse_record(line + " ingress", V5)
    # the format says egress: counted even towards a private address (via a peering)
    assert len(EgressVolume().feed(egress)) == 1
    assert EgressVolume().feed(ingress) == []


def test_detectors_over_a_gzip_file(tmp_path: Path) -> None:
    lines = [" ".join(DEFAULT_FIELDS)]
    lines += [f"2 {ACCOUNT} {ENI} 185.220.101.34 10.0.1.25 55555 {p} 6 1 44 {1620140600 + p} "
              f"{1620140660 + p} REJECT OK" for p in range(1, 31)]  # fmt: skip
    lines += [f"2 {ACCOUNT} {ENI} 10.0.1.25 52.94.133.131 40000 443 6 9000 {11 << 30} "
              "1620140600 1620140660 ACCEPT OK"]  # fmt: skip
    path = tmp_path / "flows.log.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    found = list(FlowDetectors().run(read_vpc_flow(path)))
    assert [m.name for m in found] == [
        "Port probe from one source",
        "Unusual egress volume from an interface",
    ]


_ANY = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 2**64), st.text(max_size=12),
    st.sampled_from(["10.0.1.25", "8.8.8.8", "::1", "egress", "ACCEPT", "OK"]),
    st.lists(st.integers(), max_size=2),
)  # fmt: skip
_KEYS = ["srcaddr", "dstaddr", "srcport", "dstport", "protocol", "start", "bytes", "action",
         "log-status", "interface-id", "flow-direction"]  # fmt: skip


_VALID: dict[str, Any] = {
    "srcaddr": st.sampled_from(["10.0.1.25", "89.248.165.52"]),
    "dstaddr": st.sampled_from(["10.0.2.8", "52.94.133.131"]),
    "srcport": st.integers(0, 65535), "dstport": st.integers(0, 65535),
    "protocol": st.sampled_from([6, 17, 1]), "start": st.integers(0, 10_000),
    "bytes": st.integers(0, 1 << 40), "action": st.sampled_from(["ACCEPT", "REJECT"]),
    "log-status": st.just("OK"), "interface-id": st.sampled_from(["eni-1", "eni-2"]),
    "flow-direction": st.sampled_from(["egress", "ingress"]),
}  # fmt: skip
_RECORD = st.fixed_dictionaries(
    {}, optional={k: st.one_of(_VALID[k], _VALID[k], _ANY) for k in _KEYS}
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_RECORD, max_size=30))
def test_fuzz_detectors_never_raise(records: list[dict[str, Any]]) -> None:
    detectors = FlowDetectors(PortProbe(min_ports=2), EgressVolume(min_bytes=1, min_history=0))
    for m in detectors.run(records):
        assert isinstance(m.output, str)
