"""The ``vpc_flow`` rule source (`mamori.rules.sources.vpc_flow`) over parsed records.

Oracles: Python's `ipaddress` for address-list membership (random networks and
addresses) and for what is globally routable; the IANA protocol numbers; flow log lines
written by hand in AWS's documented format and read by the real reader.
"""

from __future__ import annotations

import io
import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.logs.vpcflow import DEFAULT_FIELDS, parse_record, read_vpc_flow_stream
from mamori.model import Notice
from mamori.rules import load, load_files
from mamori.rules.default_cloud import default_cloud_rule_files
from mamori.rules.source import FieldRef, sources
from mamori.rules.sources import vpc_flow
from mamori.rules.sources.vpc_flow import (
    VPC_FLOW,
    AddressList,
    address_list_names,
    load_address_list,
    set_address_list,
)

SSH_IN = (
    "2 123456789010 eni-1235b8ca123456789 89.248.165.52 172.31.16.139 53122 22 6 20 4249 "
    "1418530010 1418530070 ACCEPT OK"
)
TO_C2 = (
    "2 123456789010 eni-0c8b9d2e1f3a4b5c6 10.0.1.25 185.220.101.34 43418 9001 6 14 2910 "
    "1620140661 1620140721 ACCEPT OK"
)
NODATA = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"


@pytest.fixture(autouse=True)
def _lists() -> Iterator[None]:
    saved = dict(vpc_flow._LISTS)
    vpc_flow.clear_address_lists()
    yield
    vpc_flow.clear_address_lists()
    vpc_flow._LISTS.update(saved)


def _get(name: str, record: dict[str, Any], arg: str | None = None) -> Any:
    _info, ref = VPC_FLOW.resolve(name, arg)
    return VPC_FLOW.compile_field(ref)(record)


def test_registered_and_fully_extracted() -> None:
    assert sources.get("vpc_flow") is VPC_FLOW
    assert not VPC_FLOW.unextractable
    assert VPC_FLOW.event_types == frozenset()


def test_fields_of_a_default_record() -> None:
    rec = parse_record(SSH_IN, DEFAULT_FIELDS)
    assert _get("flow.srcaddr", rec) == "89.248.165.52"
    assert _get("flow.dstport", rec) == 22
    assert _get("flow.protocol", rec) == 6 and _get("flow.protocol.name", rec) == "tcp"
    assert _get("flow.account_id", rec) == "123456789010"
    assert _get("flow.interface_id", rec) == "eni-1235b8ca123456789"
    assert _get("flow.log_status", rec) == "OK" and _get("flow.action", rec) == "ACCEPT"
    assert _get("flow.bytes", rec) == 4249 and _get("flow.duration", rec) == 60
    assert _get("flow.src_public", rec) is True and _get("flow.dst_public", rec) is False
    assert _get("flow.vpc_id", rec) is None  # not in the default format
    assert _get("evt.rawtime", rec) == 1418530010 * 10**9
    assert _get("evt.time.iso8601", rec) == "2014-12-14T04:06:50.000000000+0000"
    assert _get("evt.type", rec) == "vpcflow" and _get("evt.source", rec) == "vpc_flow"
    nodata = parse_record(NODATA, DEFAULT_FIELDS)
    assert _get("flow.srcaddr", nodata) is None and _get("flow.src_public", nodata) is None
    assert _get("flow.protocol.name", nodata) is None and _get("flow.duration", nodata) == 58


def test_protocol_names_follow_iana() -> None:
    for number, name in ((1, "icmp"), (17, "udp"), (58, "ipv6-icmp"), (50, "esp"), (250, "250")):
        assert _get("flow.protocol.name", {"protocol": number}) == name


@pytest.mark.parametrize(
    ("addr", "public"),
    [("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
     ("100.64.0.1", False), ("169.254.169.254", False), ("127.0.0.1", False),
     ("198.51.100.7", False), ("8.8.8.8", True), ("52.216.8.11", True),
     ("fd00::1", False), ("2001:db8::1", False), ("2600:1f18:4a3:6902::25", True)],
)  # fmt: skip
def test_public_addresses(addr: str, public: bool) -> None:
    assert _get("flow.src_public", {"srcaddr": addr}) is public
    assert ipaddress.ip_address(addr).is_global is public


def test_network_literals_in_conditions() -> None:
    rules = """
- rule: from the VPC
  desc: d
  condition: flow.srcaddr in (10.0.0.0/8, 172.16.0.0/12) and flow.dstport = 22
  output: "%flow.srcaddr"
  priority: NOTICE
  source: vpc_flow
"""
    rs = load([("r.yaml", rules)])
    assert not rs.result.errors and not rs.result.warnings
    inside = parse_record(SSH_IN.replace("89.248.165.52", "172.31.9.69"), DEFAULT_FIELDS)
    assert [m.name for m in rs.match(inside, "vpc_flow")] == ["from the VPC"]
    assert rs.match(parse_record(SSH_IN, DEFAULT_FIELDS), "vpc_flow") == []


def test_address_lists_from_a_file(tmp_path: Path) -> None:
    feed = tmp_path / "threat.txt"
    feed.write_text(
        "# threat feed, exported 2024-05-14\n185.220.101.0/24  # tor exits\n"
        "45.155.205.233,scanner\n\n2a0b:f4c2::/32\nnot-an-ip\n10.0.0.300\n"
    )
    notices: list[Notice] = []
    found = load_address_list("threat_intel", feed, notices=notices)
    assert found.size == 3 and address_list_names() == ["threat_intel"]
    assert [n.message.split(":")[0] for n in notices] == ["line 6", "line 7"]
    assert "185.220.101.34" in found and "45.155.205.233" in found
    assert "45.155.205.234" not in found and "2a0b:f4c2:2::1" in found
    assert ipaddress.ip_address("185.220.101.1") in found and 42 not in found
    notices = []
    assert load_address_list("gone", tmp_path / "missing.txt", notices=notices).size == 0
    assert "cannot read" in notices[0].message


def test_list_fields_and_the_rule_follow_the_loaded_list() -> None:
    rs = load_files(default_cloud_rule_files())
    rec = parse_record(TO_C2, DEFAULT_FIELDS)
    name = "Traffic with a threat-intelligence address"
    # no list loaded: the field is not available and the rule cannot match
    assert _get("flow.in_list", rec, "threat_intel") is None
    assert name not in [m.name for m in rs.match(rec, "vpc_flow")]
    set_address_list("threat_intel", AddressList([ipaddress.ip_network("185.220.101.0/24")]))
    assert _get("flow.dst_in_list", rec, "threat_intel") is True
    assert _get("flow.src_in_list", rec, "threat_intel") is False
    matches = [m for m in rs.match(rec, "vpc_flow") if m.name == name]
    assert len(matches) == 1 and "dst_listed=true" in matches[0].output
    assert _get("flow.in_list", parse_record(NODATA, DEFAULT_FIELDS), "threat_intel") is None


def test_rules_over_a_read_file() -> None:
    text = "\n".join([" ".join(DEFAULT_FIELDS), SSH_IN, TO_C2, NODATA]).encode()
    set_address_list("threat_intel", AddressList([ipaddress.ip_network("185.220.101.0/24")]))
    rs = load_files(default_cloud_rule_files())
    got = [
        [m.name for m in rs.match(r, "vpc_flow")] for r in read_vpc_flow_stream(io.BytesIO(text))
    ]
    assert got == [["SSH or RDP accepted from the internet"],
                   ["Traffic with a threat-intelligence address"], []]  # fmt: skip
    ssh = rs.match(parse_record(SSH_IN, DEFAULT_FIELDS), "vpc_flow")[0]
    assert "src=89.248.165.52:53122 dst=172.31.16.139:22" in ssh.output
    assert ssh.fields[str(FieldRef("flow.interface_id"))] == "eni-1235b8ca123456789"


_NETS = st.one_of(
    st.builds(lambda a, p: ipaddress.ip_network(f"{a}/{p}", strict=False),
              st.ip_addresses(v=4), st.integers(0, 32)),
    st.builds(lambda a, p: ipaddress.ip_network(f"{a}/{p}", strict=False),
              st.ip_addresses(v=6), st.integers(0, 128)),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(_NETS, max_size=8), st.lists(st.ip_addresses(), min_size=1, max_size=8))
def test_address_list_membership_matches_ipaddress(
    nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
    addrs: list[ipaddress.IPv4Address | ipaddress.IPv6Address],
) -> None:
    found = AddressList(nets)
    for addr in addrs:
        expected = any(addr.version == n.version and addr in n for n in nets)
        assert (addr in found) is expected
        assert (str(addr) in found) is expected
        # and a network's own first address is always in
    for n in nets:
        assert n.network_address in found


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=20))
def test_fuzz_address_list_lines(lines: list[str]) -> None:
    notices: list[Notice] = []
    found = AddressList.from_lines(lines, "fuzz", notices)
    assert found.size <= len(lines) and len(notices) <= 20
