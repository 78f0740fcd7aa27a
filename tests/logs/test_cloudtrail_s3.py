"""The incremental S3 reader against a real moto S3 server, objects in CloudTrail's layout.

The oracle is what the test uploaded: the eventIDs of the records of each object.
Errors moto cannot produce (AccessDenied, throttling) come from a loopback HTTP server
answering S3's XML errors, parsed by the real botocore client.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.logs._cursors import Cursor, MemoryCursors, StateError, StateFile
from mamori.logs.cloudtrail_s3 import CloudTrailS3, S3Url, S3UrlError, advance, s3_client
from mamori.model import NoticeLevel
from tests.cloud.conftest import moto_url  # noqa: F401  (the session's moto server)
from tests.logs.cloudtrail_events import record

BUCKET = "trail-logs"
A1, A2 = "111111111111", "222222222222"
ORG = "o-a1b2c3d4e5"


@pytest.fixture
def s3(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    httpx.post(f"{moto_url}/moto-api/reset", timeout=60).raise_for_status()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    client = s3_client()
    client.create_bucket(Bucket=BUCKET)
    return client


def log_key(account: str, region: str, stamp: str, uniq: str, *, org: str = "",
            prefix: str = "") -> str:  # fmt: skip
    day = f"{stamp[:4]}/{stamp[4:6]}/{stamp[6:8]}"
    org_part = f"{org}/" if org else ""
    name = f"{account}_CloudTrail_{region}_{stamp}_{uniq}.json.gz"
    return f"{prefix}AWSLogs/{org_part}{account}/CloudTrail/{region}/{day}/{name}"


def put(client: Any, key: str, n: int = 3, region: str = "us-east-1") -> list[str]:
    """Upload a log file of `n` records; their eventIDs."""
    records = [record("DescribeInstances", "ec2", region=region, read_only=True) for _ in range(n)]
    body = gzip.compress(json.dumps({"Records": records}).encode())
    client.put_object(Bucket=BUCKET, Key=key, Body=body)
    return [r["eventID"] for r in records]


def ids(reader: CloudTrailS3) -> list[str]:
    return [r["eventID"] for r in reader.records()]


@pytest.mark.parametrize("prefetch", [0, 4])
def test_first_run_reads_all_then_nothing_then_only_the_new(
    s3: Any, tmp_path: Path, prefetch: int
) -> None:
    expected: list[str] = []
    for account in (A1, A2):
        for region in ("eu-west-1", "us-east-1"):
            for stamp in ("20261129T1800Z", "20261129T1805Z"):
                expected += put(s3, log_key(account, region, stamp, "AbCd"), region=region)
    put_digest = f"AWSLogs/{A1}/CloudTrail-Digest/us-east-1/2026/11/29/{A1}_digest.json.gz"
    s3.put_object(Bucket=BUCKET, Key=put_digest, Body=b"{}")
    state = tmp_path / "state.json"

    reader = CloudTrailS3(f"s3://{BUCKET}/", cursors=StateFile(state), client=s3, prefetch=prefetch)
    assert sorted(ids(reader)) == sorted(expected)
    assert reader.stats.objects == 8 and reader.stats.folders == 4
    assert not reader.notices

    again = CloudTrailS3(f"s3://{BUCKET}", cursors=StateFile(state), client=s3)  # a new reader
    assert ids(again) == [] and again.stats.objects == 0

    new = put(s3, log_key(A2, "eu-west-1", "20261129T1810Z", "XyZ0"), region="eu-west-1")
    new += put(s3, log_key(A1, "ap-south-1", "20261129T1810Z", "XyZ0"), region="ap-south-1")
    assert sorted(ids(again)) == sorted(new)  # a new object, and a region seen for the first time
    assert ids(again) == []
    saved = json.loads(state.read_text())["cursors"]
    assert set(saved) == {
        f"s3://{BUCKET}/AWSLogs/{a}/CloudTrail/{r}/"
        for a in (A1, A2) for r in ("eu-west-1", "us-east-1")
    } | {f"s3://{BUCKET}/AWSLogs/{A1}/CloudTrail/ap-south-1/"}  # fmt: skip


def test_organization_layout_prefix_and_narrowing(s3: Any) -> None:
    org1 = put(s3, log_key(A1, "us-east-1", "20261130T0000Z", "a", org=ORG, prefix="corp/"))
    org2 = put(s3, log_key(A2, "us-west-2", "20261201T0000Z", "a", org=ORG, prefix="corp/"))
    nov = put(s3, log_key(A2, "us-west-2", "20261129T2355Z", "a", org=ORG, prefix="corp/"))
    s3.put_object(Bucket=BUCKET, Key="corp/AWSLogs/not-an-account/x.json.gz", Body=b"x")

    assert sorted(ids(CloudTrailS3(f"s3://{BUCKET}/corp", client=s3))) == sorted(org1 + org2 + nov)
    url = f"s3://{BUCKET}/corp/AWSLogs/{ORG}/{A2}/"
    assert sorted(ids(CloudTrailS3(url, client=s3))) == sorted(org2 + nov)
    url = f"s3://{BUCKET}/corp/AWSLogs/{ORG}/{A2}/CloudTrail/us-west-2/2026/11/"
    reader = CloudTrailS3(url, client=s3)
    assert reader.folders() == [f"corp/AWSLogs/{ORG}/{A2}/CloudTrail/us-west-2/2026/11/"]
    assert ids(reader) == nov
    assert ids(CloudTrailS3(f"s3://{BUCKET}/elsewhere/", client=s3)) == []


def test_same_minute_late_arrival_is_read(s3: Any) -> None:
    cursors = MemoryCursors()
    first = put(s3, log_key(A1, "us-east-1", "20261129T1800Z", "mmm"))
    reader = CloudTrailS3(f"s3://{BUCKET}/", cursors=cursors, client=s3)
    assert ids(reader) == first
    # same delivery minute, a suffix that sorts before the one already read
    late = put(s3, log_key(A1, "us-east-1", "20261129T1800Z", "aaa"))
    later = put(s3, log_key(A1, "us-east-1", "20261129T1800Z", "zzz"))
    assert ids(reader) == late + later
    assert ids(reader) == []
    # an earlier minute delivered after a later one was read is the documented gap
    put(s3, log_key(A1, "us-east-1", "20261129T1755Z", "aaa"))
    assert ids(reader) == []


def test_corrupt_object_warns_once_and_is_not_read_again(s3: Any) -> None:
    good1 = put(s3, log_key(A1, "us-east-1", "20261129T1800Z", "a"))
    bad = log_key(A1, "us-east-1", "20261129T1805Z", "a")
    truncated = gzip.compress(b'{"Records": [{"eventID": "x"}, ')[:-9]
    s3.put_object(Bucket=BUCKET, Key=bad, Body=truncated)
    notjson = log_key(A1, "us-east-1", "20261129T1806Z", "a")
    s3.put_object(Bucket=BUCKET, Key=notjson, Body=b"\x00\x01 not a log")
    good2 = put(s3, log_key(A1, "us-east-1", "20261129T1810Z", "a"))
    notices: list[Any] = []
    reader = CloudTrailS3(f"s3://{BUCKET}/", client=s3, notices=notices)
    got = ids(reader)
    assert [i for i in got if i != "x"] == good1 + good2  # "x" may come out of the cut one
    assert reader.stats.corrupt == 2 and reader.stats.objects == 4
    paths = {n.path for n in notices}
    assert paths == {f"s3://{BUCKET}/{bad}", f"s3://{BUCKET}/{notjson}"}
    assert all("not read again" in n.message for n in notices)
    notices.clear()
    assert ids(reader) == [] and notices == []


class _Flaky:
    """The real client, except that get_object of `key` fails (throttled) once."""

    def __init__(self, client: Any, key: str) -> None:
        self.client, self.key, self.failed = client, key, False

    def get_paginator(self, name: str) -> Any:
        return self.client.get_paginator(name)

    def get_object(self, **kw: Any) -> Any:
        if kw["Key"] == self.key and not self.failed:
            self.failed = True
            error = {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}
            raise ClientError(error, "GetObject")  # type: ignore[arg-type]
        return self.client.get_object(**kw)


def test_transient_error_keeps_the_cursor_before_the_object(s3: Any) -> None:
    one = put(s3, log_key(A1, "us-east-1", "20261129T1800Z", "a"))
    key2 = log_key(A1, "us-east-1", "20261129T1805Z", "a")
    two = put(s3, key2)
    other = put(s3, log_key(A2, "us-east-1", "20261129T1805Z", "a"))
    notices: list[Any] = []
    reader = CloudTrailS3(f"s3://{BUCKET}/", client=_Flaky(s3, key2), notices=notices)
    assert ids(reader) == one + other  # the other folder still read
    assert [n.level for n in notices] == [NoticeLevel.ERROR]
    assert "throttled reading (SlowDown)" in notices[0].message
    assert notices[0].path == f"s3://{BUCKET}/{key2}"
    assert ids(reader) == two  # retried on the next pass


class _CutBody:
    """An object body whose connection times out after `after` bytes."""

    def __init__(self, body: Any, after: int) -> None:
        self.body, self.left = body, after

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0 or n < 0:  # all of it: times out before the end
            raise ReadTimeoutError(endpoint_url="http://s3.example")
        data = self.body.read(min(n, self.left))
        self.left -= len(data)
        return bytes(data)

    def close(self) -> None:
        self.body.close()


class _TimesOut(_Flaky):
    def get_object(self, **kw: Any) -> Any:
        response = self.client.get_object(**kw)
        if kw["Key"] == self.key and not self.failed:
            self.failed = True
            response["Body"] = _CutBody(response["Body"], 100)
        return response


@pytest.mark.parametrize("prefetch", [0, 4])
def test_read_timeout_mid_object_is_retried_not_taken_for_corruption(
    s3: Any, prefetch: int
) -> None:
    key = log_key(A1, "us-east-1", "20261129T1800Z", "a")
    first = put(s3, key, n=400)
    notices: list[Any] = []
    client = _TimesOut(s3, key)
    reader = CloudTrailS3(f"s3://{BUCKET}/", client=client, notices=notices, prefetch=prefetch)
    assert ids(reader) == []  # the body stops within the first record
    assert reader.stats.corrupt == 0 and reader.stats.objects == 0
    assert [n.level for n in notices] == [NoticeLevel.ERROR]
    assert "ReadTimeoutError" in notices[0].message and "retried next pass" in notices[0].message
    assert ids(reader) == first


@pytest.fixture
def s3_errors() -> Iterator[tuple[str, list[str]]]:
    """A loopback endpoint answering every request with S3's XML error for the status
    the test puts in the list (403 AccessDenied, 503 SlowDown)."""
    mode: list[str] = ["403"]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            code, status = ("AccessDenied", 403) if mode[0] == "403" else ("SlowDown", 503)
            body = (
                f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
                f"<Message>{code} here</Message><RequestId>1</RequestId></Error>"
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", mode
    server.shutdown()
    server.server_close()


def test_access_denied_and_throttling_are_notices(
    s3_errors: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, mode = s3_errors
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASECRETIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-key-material")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    for status, expected in (("403", "access denied listing (AccessDenied)"),
                             ("503", "throttled listing (SlowDown)")):  # fmt: skip
        mode[0] = status
        notices: list[Any] = []
        reader = CloudTrailS3(f"s3://{BUCKET}/", notices=notices)
        assert ids(reader) == []
        assert len(notices) == 1 and expected in notices[0].message
        assert notices[0].level == NoticeLevel.ERROR
        text = repr(notices)
        assert "very-secret" not in text and "AKIASECRET" not in text


def test_missing_bucket_is_a_notice(s3: Any) -> None:
    notices: list[Any] = []
    reader = CloudTrailS3("s3://no-such-bucket-here/", client=s3, notices=notices)
    assert ids(reader) == [] and reader.stats.errors == 1
    assert [n.message for n in notices] == ["bucket 'no-such-bucket-here' does not exist"]


def test_state_file_merges_and_refuses_foreign_content(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "cursors.json"
    a, b = StateFile(path), StateFile(path)
    a.save("s3://b/x/", Cursor("k1", ("k1",)))
    b.save("s3://b/y/", Cursor("k2"))
    a.flush()
    b.flush()  # b re-reads what a wrote: both survive
    assert StateFile(path).load("s3://b/x/") == Cursor("k1", ("k1",))
    assert StateFile(path).load("s3://b/y/") == Cursor("k2")
    assert path.stat().st_mode & 0o077 == 0
    path.write_text('{"something": "else"}')
    with pytest.raises(StateError, match="not a mamori cursor file"):
        StateFile(path).load("s3://b/x/")


def test_advance_keeps_only_the_last_minute() -> None:
    k = "AWSLogs/1/CloudTrail/r/2026/11/29/1_CloudTrail_r_20261129T1800Z_{}.json.gz"
    c = advance(None, k.format("b"))
    c = advance(c, k.format("c"))
    assert c == Cursor(k.format("c"), (k.format("b"), k.format("c")))
    n = k.replace("1800Z", "1805Z")
    assert advance(c, n.format("a")) == Cursor(n.format("a"), (n.format("a"),))
    assert advance(c, "other/key.json") == Cursor("other/key.json", ())


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_s3_url_parser_never_raises_anything_else(text: str) -> None:
    for candidate in (text, "s3://" + text):
        try:
            url = S3Url.parse(candidate)
        except S3UrlError:
            continue
        assert str(url).startswith(f"s3://{url.bucket}/")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_state_file_reader_never_raises_anything_else(tmp_path_factory: Any, data: bytes) -> None:
    path = tmp_path_factory.mktemp("state") / "s.json"
    path.write_bytes(data)
    with contextlib.suppress(StateError):
        StateFile(path).load("x")


class _ListingModel:
    """S3's documented listing semantics, in memory (keys in byte order after
    StartAfter, under Prefix; CommonPrefixes with a Delimiter; pages of two), for a
    property test too large for a server round trip per step. The moto tests above
    check the reader against the real protocol."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def get_paginator(self, name: str) -> _ListingModel:
        return self

    def paginate(self, **kw: Any) -> Iterator[dict[str, Any]]:
        prefix, after = kw["Prefix"], kw.get("StartAfter", "")
        keys = sorted(k for k in self.objects if k.startswith(prefix) and k > after)
        if kw.get("Delimiter"):
            rests = [k[len(prefix) :] for k in keys]
            found = sorted({prefix + r.split("/")[0] + "/" for r in rests if "/" in r})
            yield {"CommonPrefixes": [{"Prefix": p} for p in found]}
            return
        for i in range(0, len(keys), 2):
            yield {"Contents": [{"Key": k, "Size": 1} for k in keys[i : i + 2]]}

    def get_object(self, **kw: Any) -> dict[str, Any]:
        return {"Body": io.BytesIO(self.objects[kw["Key"]])}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.text("0aZz_-", min_size=1, max_size=3),
                          st.booleans()), max_size=30))  # fmt: skip
def test_every_object_delivered_in_minute_order_is_read_exactly_once(
    steps: list[tuple[bool, bool, str, bool]],
) -> None:
    """Objects arrive with non-decreasing delivery minutes, suffixes in any order, and
    passes run at any time: each is read once (the cursor's same-minute rule)."""
    s3 = _ListingModel()
    reader = CloudTrailS3(f"s3://{BUCKET}/", client=s3, cursors=MemoryCursors())
    minute, uploaded, read = 0, [], []
    for next_minute, other_region, suffix, run_pass in steps:
        minute += next_minute
        region = "eu-west-1" if other_region else "us-east-1"
        key = log_key(A1, region, f"20261129T18{minute:02d}Z", suffix)
        if key not in s3.objects:
            rec = {"eventID": key}
            s3.objects[key] = json.dumps({"Records": [rec]}).encode()
            uploaded.append(key)
        if run_pass:
            read += ids(reader)
    read += ids(reader)
    assert sorted(read) == sorted(uploaded)
    assert ids(reader) == []
