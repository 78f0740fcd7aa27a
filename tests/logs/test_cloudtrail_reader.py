"""`mamori.logs.cloudtrail`: log files, the S3 delivery layout, bounded streaming.

Oracle for the parsing: ``json.loads`` of the whole document (records must come out
identical and in order); hostile input (truncated gzip, oversized records, wrong
types, random bytes) must give warnings, never an exception.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.logs import Limits, cloudtrail_files, read_cloudtrail, read_cloudtrail_stream
from mamori.model import Notice
from mamori.rules.engine import load_files
from mamori.rules.sources._json_fields import numbered
from tests.logs.cloudtrail_events import CASES, record
from tests.support import need_shared

RECORDS = [CASES[name][0] for name in sorted(CASES)]


def _doc(records: list[Any], **extra: Any) -> bytes:
    return json.dumps({"Records": records, **extra}, indent=1).encode()


def _layout(root: Path, account: str, region: str, day: str, stamp: str, data: bytes) -> Path:
    y, m, d = day.split("-")
    folder = root / "AWSLogs" / account / "CloudTrail" / region / y / m / d
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{account}_CloudTrail_{region}_{y}{m}{d}T{stamp}Z_Ab12Cd34Ef56Gh78.json.gz"
    path = folder / name
    path.write_bytes(gzip.compress(data))
    return path


def test_plain_and_gzip_files_give_the_records_in_order(tmp_path: Path) -> None:
    plain = tmp_path / "trail.json"
    plain.write_bytes(_doc(RECORDS))
    zipped = tmp_path / "renamed.json"  # gzip recognised by content, not name
    zipped.write_bytes(gzip.compress(_doc(RECORDS)))
    for path in (plain, zipped):
        notices: list[Notice] = []
        assert list(read_cloudtrail(path, notices=notices)) == RECORDS
        assert notices == []


def test_s3_delivery_layout(tmp_path: Path) -> None:
    a = _layout(tmp_path, "123456789012", "us-east-1", "2024-03-05", "1420", _doc(RECORDS[:3]))
    b = _layout(tmp_path, "123456789012", "us-east-1", "2024-03-05", "1425", _doc(RECORDS[3:5]))
    c = _layout(tmp_path, "123456789012", "eu-west-1", "2024-03-04", "2355", _doc(RECORDS[5:6]))
    digest = tmp_path / "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/03/05"
    digest.mkdir(parents=True)
    (digest / "123456789012_CloudTrail-Digest_us-east-1_x.json.gz").write_bytes(
        gzip.compress(b'{"awsAccountId": "123456789012", "digestStartTime": "x"}')
    )
    (tmp_path / "AWSLogs" / "README.txt").write_text("not a log")
    assert list(cloudtrail_files(tmp_path)) == [c, a, b]  # path order: eu-west-1 first
    notices: list[Notice] = []
    got = list(read_cloudtrail(tmp_path, notices=notices))
    assert got == RECORDS[5:6] + RECORDS[:5]
    assert notices == []


def test_records_from_a_layout_fire_falco_rules(tmp_path: Path) -> None:
    _layout(tmp_path, "123456789012", "us-east-1", "2024-03-05", "1420", _doc(RECORDS))
    rs = load_files([need_shared("anchors/falco/plugin-rules/aws_cloudtrail_rules.yaml")])
    fired = {
        m.name for ev in numbered(read_cloudtrail(tmp_path)) for m in rs.match(ev, "aws_cloudtrail")
    }
    enabled = {r.name for r in rs.rules if r.enabled}
    assert fired == enabled  # every enabled rule fires on its record


def test_oversized_and_wrong_typed_records_are_skipped_with_warnings(tmp_path: Path) -> None:
    big = record("PutObject", "s3", {"bucketName": "b", "key": "k" * 5000})
    path = tmp_path / "t.json"
    path.write_bytes(_doc([RECORDS[0], big, 42, "text", None, [1], RECORDS[1]]))
    notices: list[Notice] = []
    got = list(read_cloudtrail(path, notices=notices, limits=Limits(max_record_bytes=4096)))
    assert got == [RECORDS[0], RECORDS[1]]
    messages = [n.message for n in notices]
    assert sum("over the 4096-byte cap" in m for m in messages) == 1
    assert sum("not an object" in m for m in messages) == 4


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    many = [record("GetObject", "s3", {"bucketName": "b", "key": f"k{i}"}) for i in range(2000)]
    data = gzip.compress(_doc(many))
    path = tmp_path / "cut.json.gz"
    path.write_bytes(data[: len(data) // 2])
    notices: list[Notice] = []
    got = list(read_cloudtrail(path, notices=notices))
    assert 0 < len(got) < len(many) and got == many[: len(got)]
    assert len(notices) == 1 and notices[0].path == str(path)


def test_malformed_documents_are_warnings(tmp_path: Path) -> None:
    cases = {
        "empty.json": b"",
        "array.json": b"[1, 2",
        "norecords.json": b'{"digestStartTime": "2024-03-05T14:00:00Z"}',
        "truncated.json": _doc(RECORDS)[:-40],
        "binary.json": bytes(range(256)),
        "notjson.json.gz": gzip.compress(b"hello"),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    notices: list[Notice] = []
    got = list(read_cloudtrail(tmp_path, notices=notices))
    assert all(isinstance(r, dict) for r in got)
    assert {Path(n.path or "").name for n in notices} == set(cases)
    assert list(read_cloudtrail(tmp_path / "absent", notices=notices)) == []


def test_file_cap_stops_a_decompression_bomb(tmp_path: Path) -> None:
    filler = [record("GetObject", "s3", {"bucketName": "b", "key": "x" * 900}) for _ in range(400)]
    path = tmp_path / "bomb.json.gz"
    path.write_bytes(gzip.compress(_doc(filler)))
    notices: list[Notice] = []
    got = list(read_cloudtrail(path, notices=notices, limits=Limits(max_file_bytes=1 << 17)))
    assert len(got) < len(filler) and "larger than" in notices[-1].message


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=8), _json, max_size=5), max_size=6), _json)
def test_streaming_matches_json_loads(records: list[dict[str, Any]], other: Any) -> None:
    data = json.dumps({"before": other, "Records": records, "after": other}).encode()
    assert list(read_cloudtrail_stream(io.BytesIO(data))) == json.loads(data)["Records"]
    zipped = gzip.compress(json.dumps({"Records": records}, separators=(",", ":")).encode())
    assert list(read_cloudtrail_stream(io.BytesIO(zipped))) == records


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=400))
def test_hostile_bytes_never_raise(noise: bytes, cut: int) -> None:
    base = _doc(RECORDS[:2])
    for data in (
        noise,
        base[:cut] + noise,
        gzip.compress(base)[:cut],
        base.replace(b"{", noise[:3]),
    ):
        notices: list[Notice] = []
        for rec in read_cloudtrail_stream(
            io.BytesIO(data), notices=notices, limits=Limits(max_record_bytes=256)
        ):
            assert isinstance(rec, dict)
        assert len(notices) <= 40
