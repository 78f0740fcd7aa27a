"""VPC Flow Logs reader (`mamori.logs.vpcflow`).

Files are written here in the shapes of AWS's flow log documentation: the default
version 2 format (with and without the header line S3 delivery writes), custom formats
mixing version 3, 4 and 5 fields in another order, IPv6, ``NODATA``/``SKIPDATA``
records, gzip'd objects in the S3 layout (``AWSLogs/<account>/vpcflowlogs/<region>/
YYYY/MM/DD/``). Expected values are written by hand from the lines; the fuzz tests
build lines from random records with their own formatting, independent of the reader.
"""

from __future__ import annotations

import gzip
import io
import string
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.logs import Limits
from mamori.logs.vpcflow import (
    DEFAULT_FIELDS,
    INT_FIELDS,
    KNOWN_FIELDS,
    VERSION_FIELDS,
    parse_header,
    read_vpc_flow,
    read_vpc_flow_stream,
)
from mamori.model import Notice

HEADER_V2 = " ".join(DEFAULT_FIELDS)
V2_LINES = [
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
    "1418530010 1418530070 ACCEPT OK",
    "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 "
    "1418530010 1418530070 REJECT OK",
    "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
    "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA",
    "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 "
    "2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK",
]
CUSTOM_HEADER = (
    "region az-id vpc-id subnet-id instance-id interface-id flow-direction srcaddr dstaddr "
    "srcport dstport pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service "
    "traffic-path protocol bytes packets start end action tcp-flags type sublocation-type "
    "sublocation-id log-status version"
)
CUSTOM_LINES = [
    "us-east-1 use1-az4 vpc-0461a061f1e2c3d4e subnet-0b1a2c3d4e5f60718 i-0a1b2c3d4e5f67890 "
    "eni-0c8b9d2e1f3a4b5c6 egress 10.0.1.25 52.216.8.11 49152 443 10.0.1.25 52.216.8.11 - S3 "
    "8 6 6021 12 1620140661 1620140721 ACCEPT 19 IPv4 - - OK 5",
    "us-east-1 use1-az4 vpc-0461a061f1e2c3d4e subnet-0b1a2c3d4e5f60718 - "
    "eni-0f1e2d3c4b5a69788 ingress 10.0.2.8 10.0.1.25 35620 5432 10.40.1.7 10.0.1.25 - - "
    "- 6 52 1 1620140661 1620140721 REJECT 2 IPv4 - - OK 5",
]


def _read(text: str, **kw: Any) -> tuple[list[dict[str, Any]], list[Notice]]:
    notices: list[Notice] = []
    stream = io.BytesIO(text.encode())
    return list(read_vpc_flow_stream(stream, "test", notices=notices, **kw)), notices


def test_default_format_with_header() -> None:
    records, notices = _read("\n".join([HEADER_V2, *V2_LINES]) + "\n")
    assert not notices
    assert len(records) == 5
    first = records[0]
    assert first == {
        "version": 2, "account-id": "123456789010", "interface-id": "eni-1235b8ca123456789",
        "srcaddr": "172.31.16.139", "dstaddr": "172.31.16.21", "srcport": 20641, "dstport": 22,
        "protocol": 6, "packets": 20, "bytes": 4249, "start": 1418530010, "end": 1418530070,
        "action": "ACCEPT", "log-status": "OK",
    }  # fmt: skip
    assert records[1]["action"] == "REJECT" and records[1]["dstport"] == 3389
    assert records[4]["srcaddr"] == "2001:db8:1234:a100:8d6e:3477:df66:f105"


def test_nodata_and_skipdata_are_records_with_nulls() -> None:
    records, notices = _read("\n".join(V2_LINES[2:4]))
    assert not notices
    assert [r["log-status"] for r in records] == ["NODATA", "SKIPDATA"]
    for r in records:
        assert r["srcaddr"] is r["dstport"] is r["bytes"] is r["action"] is None
        assert r["start"] == 1431280876 and r["end"] == 1431280934
    assert records[1]["interface-id"] == "eni-11111111aaaaaaaaa"


def test_headerless_default_and_caller_format() -> None:
    records, notices = _read("\n".join(V2_LINES))
    assert not notices and len(records) == 5
    # a custom format without its header (a CloudWatch Logs export): the caller says
    fields = CUSTOM_HEADER.split()
    records, notices = _read("\n".join(CUSTOM_LINES), fields=fields)
    assert not notices and len(records) == 2
    records, notices = _read("\n".join(CUSTOM_LINES))
    assert records == [] and len(notices) == 2 and "28 values" in notices[0].message


def test_custom_format_v3_to_v5_fields() -> None:
    records, notices = _read("\n".join([CUSTOM_HEADER, *CUSTOM_LINES]))
    assert not notices
    out, into = records
    assert out["version"] == 5 and out["flow-direction"] == "egress"
    assert out["pkt-dst-aws-service"] == "S3" and out["pkt-src-aws-service"] is None
    assert out["traffic-path"] == 8 and out["tcp-flags"] == 19 and out["type"] == "IPv4"
    assert out["az-id"] == "use1-az4" and out["sublocation-type"] is None
    assert into["instance-id"] is None and into["traffic-path"] is None
    assert into["pkt-srcaddr"] == "10.40.1.7" and into["srcaddr"] == "10.0.2.8"
    assert set(out) == set(CUSTOM_HEADER.split())
    # the fields of versions 2 to 5 are all known
    for version in (2, 3, 4, 5):
        assert set(VERSION_FIELDS[version]) <= KNOWN_FIELDS


def test_a_new_header_switches_format() -> None:
    text = "\n".join([HEADER_V2, V2_LINES[0], CUSTOM_HEADER, CUSTOM_LINES[0], HEADER_V2,
                      V2_LINES[1]])  # fmt: skip
    records, notices = _read(text)
    assert not notices
    assert [len(r) for r in records] == [14, 28, 14]


def test_bad_lines_are_warnings_and_reading_goes_on() -> None:
    lines = [
        HEADER_V2,
        V2_LINES[0],
        "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20",  # too few
        V2_LINES[0].replace(" 4249 ", " 42x9 "),  # not a number
        V2_LINES[0].replace("172.31.16.21", "172.31.16.999"),  # not an address
        V2_LINES[0].replace(" 20641 ", " -5 "),  # negative port
        "\x00\xff garbage",
        "",
        V2_LINES[1],
    ]
    records, notices = _read("\n".join(lines))
    assert [r["action"] for r in records] == ["ACCEPT", "REJECT"]
    assert len(notices) == 5
    assert all(n.path == "test" and "skipped" in n.message for n in notices)
    assert "line 3" in notices[0].message and "line 5" in notices[2].message


def test_oversized_lines_and_file_cap() -> None:
    limits = Limits(max_record_bytes=200, max_file_bytes=10_000)
    text = "\n".join([V2_LINES[0], "9" * 5000, V2_LINES[1]])
    records, notices = _read(text, limits=limits)
    assert len(records) == 2 and "over 200 bytes" in notices[0].message
    many = "\n".join([V2_LINES[0]] * 1000)
    records, notices = _read(many, limits=limits)
    assert 50 < len(records) < 1000 and "rest skipped" in notices[-1].message


def test_notices_are_bounded_per_kind() -> None:
    records, notices = _read("\n".join(["bad line"] * 500))
    assert records == [] and len(notices) == 20


def _s3_layout(root: Path) -> Path:
    day = root / "AWSLogs/123456789010/vpcflowlogs/us-east-1/2024/05/14"
    day.mkdir(parents=True)
    for i, chunk in enumerate((V2_LINES[:2], V2_LINES[2:])):
        stamp = f"20240514T09{i}5Z"
        name = f"123456789010_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f6a7b8_{stamp}_ab12cd.log.gz"
        (day / name).write_bytes(gzip.compress(("\n".join([HEADER_V2, *chunk]) + "\n").encode()))
    return root / "AWSLogs"


def test_gzip_files_and_directories(tmp_path: Path) -> None:
    root = _s3_layout(tmp_path)
    (root / "README.md").write_text("not a log")
    notices: list[Notice] = []
    records = list(read_vpc_flow(root, notices=notices))
    assert not notices
    assert [r["log-status"] for r in records] == ["OK", "OK", "NODATA", "SKIPDATA", "OK"]
    one = sorted(root.rglob("*.log.gz"))[0]
    assert len(list(read_vpc_flow(one))) == 2
    plain = tmp_path / "flows.log"
    plain.write_text("\n".join(V2_LINES))
    assert len(list(read_vpc_flow(plain))) == 5


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    data = gzip.compress(("\n".join([HEADER_V2, *V2_LINES * 200]) + "\n").encode())
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(data[: len(data) // 2])
    notices: list[Notice] = []
    records = list(read_vpc_flow(cut, notices=notices))
    assert 0 < len(records) < 1000
    assert notices[-1].message.startswith("read error")


def test_missing_path_and_parquet(tmp_path: Path) -> None:
    notices: list[Notice] = []
    assert list(read_vpc_flow(tmp_path / "nope", notices=notices)) == []
    assert "no such file" in notices[0].message
    pq = tmp_path / "flows.parquet"
    pq.write_bytes(b"PAR1\x00\x00PAR1")
    notices = []
    assert list(read_vpc_flow(pq, notices=notices)) == []
    assert "Parquet" in notices[0].message


def test_header_recognition() -> None:
    assert parse_header(HEADER_V2) == DEFAULT_FIELDS
    assert parse_header("srcaddr dstaddr ecs-task-id some-future-field") is not None
    assert parse_header(V2_LINES[0]) is None
    assert parse_header("vpc-0461a061f1e2c3d4e subnet-0b1a2c3d4e5f60718") is None
    assert parse_header("srcaddr srcaddr") is None
    assert parse_header("") is None
    notices: list[Notice] = []
    list(read_vpc_flow_stream(io.BytesIO(b""), fields=["Bad Field"], notices=notices))
    assert "default used" in notices[0].message


# -- fuzzing ------------------------------------------------------------------------------

ALL_FIELDS = sorted(KNOWN_FIELDS)
_TEXT = st.text(string.ascii_letters + string.digits + "-:./", min_size=1, max_size=12).filter(
    lambda s: s != "-"
)
_ADDR = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)


def _value(name: str) -> st.SearchStrategy[Any]:
    if name in INT_FIELDS:
        base: st.SearchStrategy[Any] = st.integers(0, 2**64 - 1)
    elif name in ("srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr"):
        base = _ADDR
    else:
        base = _TEXT
    return st.one_of(st.none(), base)


@st.composite
def _formatted(draw: st.DrawFn) -> tuple[list[str], list[dict[str, Any]]]:
    fields = draw(st.lists(st.sampled_from(ALL_FIELDS), min_size=1, max_size=12, unique=True))
    records = draw(
        st.lists(st.fixed_dictionaries({f: _value(f) for f in fields}), min_size=1, max_size=5)
    )
    return fields, records


@settings(max_examples=150, deadline=None)
@given(_formatted(), st.booleans())
def test_fuzz_round_trip(data: tuple[list[str], list[dict[str, Any]]], zipped: bool) -> None:
    """Any documented field subset in any order, values written as AWS writes them
    (``-`` for null): the reader gives the records back."""
    fields, records = data
    lines = [" ".join(fields)]
    lines += [" ".join("-" if r[f] is None else str(r[f]) for f in fields) for r in records]
    raw = ("\n".join(lines) + "\n").encode()
    notices: list[Notice] = []
    got = list(read_vpc_flow_stream(io.BytesIO(gzip.compress(raw) if zipped else raw),
                                    notices=notices))  # fmt: skip
    assert not notices
    assert got == records


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.booleans())
def test_fuzz_arbitrary_bytes_never_raise(data: bytes, zipped: bool) -> None:
    notices: list[Notice] = []
    payload = gzip.compress(data) if zipped else data
    for record in read_vpc_flow_stream(io.BytesIO(payload), notices=notices):
        assert isinstance(record, dict)
    assert len(notices) <= 20 * 5


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([HEADER_V2, *V2_LINES, "x y", "2 - -", ""]), max_size=30))
def test_fuzz_mixed_lines(lines: list[str]) -> None:
    notices: list[Notice] = []
    got = list(read_vpc_flow_stream(io.BytesIO("\n".join(lines).encode()), notices=notices))
    assert len(got) == sum(1 for line in lines if line in V2_LINES)
