"""The ``vpc_flow`` event source: VPC Flow Log records for rules in Falco's language.

An event is one flow log record as `mamori.logs.vpcflow` yields it: a ``dict`` keyed by
the field names AWS uses (``srcaddr``, ``log-status``...), ``None`` for ``-``. Fields
are ``flow.<name>`` with dashes written as underscores (``flow.log_status``,
``flow.pkt_srcaddr``); a field the record's format lacks, or a null value, is not
available. Addresses are ``IPADDR`` (so ``flow.srcaddr in (10.0.0.0/8)`` works), ports
``PORT``, counts and times (seconds since the epoch, as AWS writes them) ``UINT64``.
Derived fields:

- ``flow.protocol.name``: the IANA keyword of the protocol number in lower case
  (``tcp``, ``udp``, ``icmp``, ``ipv6-icmp``...), else the number as text;
- ``flow.src_public`` / ``flow.dst_public``: the address is globally routable
  (`ipaddress`' ``is_global``: not RFC 1918, carrier-grade NAT, loopback, link-local,
  documentation or other special-purpose ranges);
- ``flow.src_in_list[NAME]`` / ``flow.dst_in_list[NAME]`` / ``flow.in_list[NAME]``
  (either end): the address is in the address list NAME, loaded with
  `load_address_list` (a local file of IPs and CIDRs, such as a threat-intelligence
  feed) or `set_address_list`. Lists are looked up when an event is evaluated, so they
  can be loaded or reloaded after the rules; a list that is not loaded makes the field
  not available (and ``address_list_names`` says what is loaded).

Flow logs are not plugin events in Falco (there is no Falco plugin for them): like the
JSON log sources, this source declares no event types, so every rule of the source sees
every record; ``evt.type`` reads ``vpcflow``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mamori.model import Notice, NoticeLevel
from mamori.rules.source import CatalogSource, FieldInfo, FieldRef, sources
from mamori.rules.sources._json_fields import fixed
from mamori.rules.syscall_fields import parse_table

NAME = "vpc_flow"
EVENT_TYPE = "vpcflow"
NS = 1_000_000_000
MAX_LIST_LINES = 5_000_000
"""Entries one address list file may hold (bounded memory)."""

TABLE = """
flow.version UINT64 - the flow log version of the record's format
flow.account_id CHARBUF - the AWS account ID of the owner of the interface
flow.interface_id CHARBUF - the ID of the network interface
flow.srcaddr IPADDR - the source address (of the interface for outgoing traffic)
flow.dstaddr IPADDR - the destination address (of the interface for incoming traffic)
flow.srcport PORT - the source port
flow.dstport PORT - the destination port
flow.protocol UINT64 - the IANA protocol number
flow.protocol.name CHARBUF - the IANA keyword of the protocol, lower case (tcp, udp...)
flow.packets UINT64 - the number of packets transferred during the flow
flow.bytes UINT64 - the number of bytes transferred during the flow
flow.start UINT64 - the time of the first packet of the flow (seconds since the epoch)
flow.end UINT64 - the time of the last packet of the flow (seconds since the epoch)
flow.duration UINT64 - end minus start, in seconds
flow.action CHARBUF - ACCEPT or REJECT
flow.log_status CHARBUF - OK, NODATA or SKIPDATA
flow.vpc_id CHARBUF - the ID of the VPC
flow.subnet_id CHARBUF - the ID of the subnet
flow.instance_id CHARBUF - the ID of the instance of the interface, if you own it
flow.tcp_flags UINT64 - the bitmask of TCP flags seen (FIN 1, SYN 2, RST 4, SYN-ACK 18)
flow.type CHARBUF - the type of traffic (IPv4, IPv6, EFA)
flow.pkt_srcaddr IPADDR - the packet-level (original) source address
flow.pkt_dstaddr IPADDR - the packet-level (original) destination address
flow.region CHARBUF - the region of the interface
flow.az_id CHARBUF - the ID of the availability zone of the interface
flow.sublocation_type CHARBUF - wavelength, outpost or localzone
flow.sublocation_id CHARBUF - the ID of the sublocation
flow.pkt_src_aws_service CHARBUF - the AWS service of pkt-srcaddr (S3, EC2...)
flow.pkt_dst_aws_service CHARBUF - the AWS service of pkt-dstaddr
flow.flow_direction CHARBUF - ingress or egress, relative to the interface
flow.traffic_path UINT64 - the path egress traffic takes (1-8)
flow.reject_reason CHARBUF - why traffic was rejected (BPA)
flow.src_public BOOL - the source address is globally routable
flow.dst_public BOOL - the destination address is globally routable
flow.src_in_list BOOL K the source address is in the address list named by the argument
flow.dst_in_list BOOL K the destination address is in the address list named by the argument
flow.in_list BOOL K either address is in the address list named by the argument
evt.type CHARBUF - vpcflow
evt.source CHARBUF - vpc_flow
evt.num UINT64 - the record's sequence number, when numbered
evt.rawtime ABSTIME - the flow's start in nanoseconds since the epoch
evt.time.iso8601 CHARBUF - the flow's start in ISO 8601 format (UTC)
"""

PROTOCOLS = {1: "icmp", 2: "igmp", 4: "ipv4", 6: "tcp", 17: "udp", 41: "ipv6", 47: "gre",
             50: "esp", 51: "ah", 58: "ipv6-icmp", 89: "ospf", 132: "sctp"}  # fmt: skip
"""IANA keywords of the protocols seen in VPCs (others read as their number)."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressList:
    """A set of addresses and networks with a lookup costing one set probe per prefix
    length present (at most 33 for IPv4, 129 for IPv6), whatever the list's size."""

    def __init__(self, entries: Iterable[Network | Address] = ()) -> None:
        self._nets: dict[tuple[int, int], set[int]] = {}
        self.size = 0
        for e in entries:
            self.add(e)

    def add(self, entry: Network | Address) -> None:
        net = ipaddress.ip_network(entry) if not isinstance(entry, Network) else entry
        key = (net.version, net.prefixlen)
        self._nets.setdefault(key, set()).add(int(net.network_address))
        self.size += 1

    def __contains__(self, addr: object) -> bool:
        ip = _ip(addr)
        if ip is None:
            return False
        bits = ip.max_prefixlen
        value = int(ip)
        for (version, plen), starts in self._nets.items():
            if version == ip.version and (value >> (bits - plen) << (bits - plen)) in starts:
                return True
        return False

    @classmethod
    def from_lines(
        cls, lines: Iterable[str], where: str = "<list>", notices: list[Notice] | None = None
    ) -> AddressList:
        """Entries one per line: an address or a CIDR network as the first word;
        ``#`` starts a comment; a bad entry is a warning (at most 20), not an error."""
        out = cls()
        bad = 0
        for number, line in enumerate(lines, 1):
            if number > MAX_LIST_LINES:
                _warn(notices, f"over {MAX_LIST_LINES} lines: rest ignored", where)
                break
            word = line.split("#", 1)[0].replace(",", " ").split()
            if not word:
                continue
            try:
                out.add(ipaddress.ip_network(word[0], strict=False))
            except ValueError:
                bad += 1
                if bad <= 20:
                    _warn(notices, f"line {number}: {word[0][:60]!r} is not an IP or CIDR", where)
        return out


def _warn(notices: list[Notice] | None, message: str, path: str) -> None:
    if notices is not None:
        notices.append(
            Notice(level=NoticeLevel.WARNING, source="rules.vpc_flow", message=message, path=path)
        )


_LISTS: dict[str, AddressList] = {}


def set_address_list(name: str, addresses: AddressList) -> None:
    """Make `addresses` the list that ``flow.*in_list[name]`` fields read."""
    _LISTS[name] = addresses


def load_address_list(
    name: str, path: str | Path, *, notices: list[Notice] | None = None
) -> AddressList:
    """Read a file of IPs/CIDRs (`AddressList.from_lines`) and register it as `name`.
    An unreadable file registers an empty list and warns."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            found = AddressList.from_lines(f, str(path), notices)
    except OSError as exc:
        _warn(notices, f"cannot read address list: {exc}", str(path))
        found = AddressList()
    set_address_list(name, found)
    return found


def address_list_names() -> list[str]:
    return sorted(_LISTS)


def clear_address_lists() -> None:
    _LISTS.clear()


def _ip(value: Any) -> Address | None:
    if isinstance(value, Address):
        return value
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _plain(key: str) -> Any:
    return lambda ev: ev.get(key)


def _public(key: str) -> Any:
    def get(ev: Any) -> bool | None:
        ip = _ip(ev.get(key))
        return None if ip is None else ip.is_global

    return get


def _protocol_name(ev: Any) -> str | None:
    num = ev.get("protocol")
    return None if not isinstance(num, int) else PROTOCOLS.get(num, str(num))


def _duration(ev: Any) -> int | None:
    start, end = ev.get("start"), ev.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    return max(0, end - start)


def _in_list(keys: tuple[str, ...]) -> Any:
    def factory(ref: FieldRef, _info: FieldInfo) -> Any:
        name = ref.arg or ""

        def get(ev: Any) -> bool | None:
            found = _LISTS.get(name)
            if found is None:
                return None
            ips = [ev.get(k) for k in keys]
            if all(ip is None for ip in ips):
                return None
            return any(ip in found for ip in ips if ip is not None)

        return get

    return factory


def _rawtime(ev: Any) -> int | None:
    start = ev.get("start")
    return start * NS if isinstance(start, int) else None


def _iso(ev: Any) -> str | None:
    start = ev.get("start")
    if not isinstance(start, int) or start > 253402300799:
        return None
    return datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%S.000000000+0000")


VPC_FLOW: CatalogSource[Any] = CatalogSource(NAME, parse_table(TABLE), (), lambda _ev: EVENT_TYPE)
"""The ``vpc_flow`` source: events are flow log records (``dict``)."""

_DERIVED = {
    "flow.protocol.name": _protocol_name,
    "flow.duration": _duration,
    "flow.src_public": _public("srcaddr"),
    "flow.dst_public": _public("dstaddr"),
    "evt.type": lambda _ev: EVENT_TYPE,
    "evt.source": lambda _ev: NAME,
    "evt.num": lambda ev: getattr(ev, "num", None),
    "evt.rawtime": _rawtime,
    "evt.time.iso8601": _iso,
}
for _field in VPC_FLOW.fields:
    if _field.startswith("flow.") and _field not in _DERIVED and "in_list" not in _field:
        VPC_FLOW.add_extractor(_field, fixed(_plain(_field[5:].replace("_", "-"))))
for _field, _getter in _DERIVED.items():
    VPC_FLOW.add_extractor(_field, fixed(_getter))
VPC_FLOW.add_extractor("flow.src_in_list", _in_list(("srcaddr",)))
VPC_FLOW.add_extractor("flow.dst_in_list", _in_list(("dstaddr",)))
VPC_FLOW.add_extractor("flow.in_list", _in_list(("srcaddr", "dstaddr")))
sources.add(NAME, VPC_FLOW)
