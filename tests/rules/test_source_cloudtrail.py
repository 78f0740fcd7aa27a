"""The ``aws_cloudtrail`` source against Falco's CloudTrail ruleset and AWS's records.

Oracles: Falco's ``aws_cloudtrail_rules.yaml`` loads unmodified with zero errors and
zero warnings (as in Falco with the cloudtrail and json plugins); every rule fires on a
record written here from AWS's documented record format and stays quiet on a benign
neighbour; field values follow the cloudtrail plugin's field reference.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.rules.engine import RuleSet, load_files
from mamori.rules.source import sources
from mamori.rules.sources._json_fields import Record, numbered, parse_pointer
from tests.logs.cloudtrail_events import (
    ASSUMED_ROLE,
    CASES,
    ROOT,
    UNNUMBERED,
    console_login,
    failed,
    record,
)
from tests.support import need_shared

RULES = "anchors/falco/plugin-rules/aws_cloudtrail_rules.yaml"
SRC = sources.get("aws_cloudtrail")


def field(name: str, event: dict[str, Any], arg: str | None = None) -> Any:
    _info, ref = SRC.resolve(name, arg)
    return SRC.compile_field(ref)(event)


@cache
def _ruleset() -> RuleSet:
    rs = load_files([need_shared(RULES)])
    assert not rs.result.errors
    for r in rs.rules:
        r.enabled = True  # All Cloudtrail Events and List Buckets are off by default
    rs.reindex()
    return rs


def _fired(event: dict[str, Any]) -> dict[str, str]:
    return {m.name: m.output for m in _ruleset().match(event, "aws_cloudtrail")}


def test_ruleset_loads_unmodified_without_errors_or_warnings() -> None:
    rs = load_files([need_shared(RULES)])
    assert not rs.result.errors, [str(e) for e in rs.result.errors]
    assert not rs.result.warnings, [str(w) for w in rs.result.warnings]
    assert len(rs.rules) == 22
    assert sum(not r.enabled for r in rs.rules) == 2
    assert all(r.event_types is None for r in rs.rules)
    used = {f.name for r in rs.rules for f in r.condition_fields}
    assert used <= set(SRC.fields) and not used & SRC.unextractable  # type: ignore[attr-defined]
    assert rs.required_plugins == [[("cloudtrail", "0.10.0")], [("json", "0.7.0")]]


def test_every_rule_has_a_case() -> None:
    names = {i["rule"] for i in yaml.safe_load(need_shared(RULES).read_text()) if "rule" in i}
    assert names == set(CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_and_neighbour_does_not(rule: str) -> None:
    fires, quiet = CASES[rule]
    (fires_n,) = numbered([fires])
    quiet_n = quiet if rule in UNNUMBERED else Record(quiet, 2)
    assert rule in _fired(fires_n)
    assert rule not in _fired(quiet_n)


def test_outputs_render_record_values() -> None:
    out = _fired(CASES["Console Login Without MFA"][0])["Console Login Without MFA"]
    assert out.startswith("Detected a console login without MFA")
    assert "requesting user=alice" in out and "requesting IP=203.0.113.10" in out
    out = _fired(CASES["Console Login Through Assume Role"][0])["Console Login Through Assume Role"]
    assert "principal=AROAIDPPEZS35WEXAMPLE:alice" in out and "assumed-role/Admin/alice" in out
    out = _fired(CASES["Run Instances in Non-approved Region"][0])[
        "Run Instances in Non-approved Region"
    ]
    assert "availability zone=us-west-2a" in out and "reservation id=r-0a1b2c3d4e5f67890" in out
    assert "image id=i-0123456789abcdef0" in out
    out = _fired(CASES["Delete Bucket Encryption"][0])["Delete Bucket Encryption"]
    assert "bucket=finance-reports" in out
    assert "Create AWS user" not in _fired(CASES["Create AWS user"][1])


def test_identity_fields() -> None:
    iam = record("ListUsers", "iam", read_only=True)
    assert field("ct.user", iam) == "alice"
    assert field("ct.user.identitytype", iam) == "IAMUser"
    assert field("ct.user.accountid", iam) == "123456789012"
    assert field("ct.originaluser", iam) == "alice"
    role = record("ListUsers", "iam", identity=ASSUMED_ROLE)
    assert field("ct.user", role) == "Admin"
    assert field("ct.originaluser", role) == "alice"
    no_issuer = copy.deepcopy(role)
    del no_issuer["userIdentity"]["sessionContext"]
    assert field("ct.user", no_issuer) == "AssumedRole"
    root = record("ListUsers", "iam", identity=ROOT)
    assert field("ct.user", root) == "<NA>"  # a known type without userName, as Falco
    svc = record("Decrypt", "kms", identity={"type": "AWSService", "invokedBy": "s3.amazonaws.com"})
    assert field("ct.user", svc) == "s3.amazonaws.com"
    assert field("ct.user.accountid", svc) == "123456789012"  # recipientAccountId
    odd = record("X", "iam", identity={"type": "SAMLUser"})
    assert field("ct.user", odd) is None


def test_string_fields_and_errors() -> None:
    ok = CASES["Create AWS user"][0]
    assert field("ct.name", ok) == "CreateUser"
    assert field("ct.src", ok) == "iam.amazonaws.com" and field("ct.shortsrc", ok) == "iam"
    assert field("ct.error", ok) is None and field("ct.errormessage", ok) is None
    assert field("ct.request.username", ok) == "mallory"
    assert field("ct.request", ok) == '{"userName":"mallory"}'
    assert field("ct.response", ok).startswith('{"user":{')
    assert field("ct.readonly", ok) == "false" and field("ct.managementevent", ok) == "true"
    assert field("ct.tlsdetails.tlsversion", ok) == "TLSv1.3"
    assert field("ct.time", ok) == "2024-03-05T14:21:07Z"
    assert field("evt.rawtime", ok) == 1709648467 * 10**9
    assert field("evt.time.iso8601", ok) == "2024-03-05T14:21:07.000000000+0000"
    bad = failed(ok)
    assert field("ct.error", bad) == "AccessDenied"
    assert field("ct.response", bad) == "null"  # present but null: rendered, as Falco
    assert field("ct.response.subnetid", bad) is None
    nulls = {**ok, "errorCode": None, "eventName": 7}
    assert field("ct.error", nulls) is None and field("ct.name", nulls) is None


def test_readonly_heuristic_without_the_key() -> None:
    rec = record("DeleteTrail", "cloudtrail", {"name": "t"})
    del rec["readOnly"]
    assert field("ct.readonly", rec) == "false"
    rec["eventName"] = "DescribeTrails"
    assert field("ct.readonly", rec) == "true"


def test_s3_fields() -> None:
    get = record(
        "GetObject",
        "s3",
        {"bucketName": "data", "key": "a/b.csv", "Host": "data.s3.amazonaws.com"},
        None,
        read_only=True,
        eventCategory="Data",
        managementEvent=False,
        additionalEventData={"bytesTransferredIn": 0, "bytesTransferredOut": 2048.0},
        resources=[{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::data/a/b.csv"}],
    )
    assert field("s3.uri", get) == "s3://data/a/b.csv"
    assert field("s3.bucket", get) == "data" and field("s3.key", get) == "a/b.csv"
    assert field("s3.bytes", get) == 2048 and field("s3.bytes.out", get) == 2048
    assert field("s3.bytes.in", get) == 0
    assert field("s3.cnt.get", get) == 1 and field("s3.cnt.put", get) is None
    assert field("s3.cnt.other", get) is None
    assert field("ct.managementevent", get) == "false"
    assert (
        field("ct.resources", get) == '{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::data/a/b.csv"}'
    )
    assert (
        field("ct.info", get)
        == "alice via 203.0.113.10 ← GetObject Size=2048 URI=s3://data/a/b.csv"
    )
    listing = CASES["List Buckets"][0]
    assert field("s3.cnt.other", listing) == 1 and field("s3.bytes", listing) is None
    assert field("ct.info", listing).endswith("Host=s3.us-east-1.amazonaws.com")


def test_ec2_fields() -> None:
    run = CASES["Run Instances"][0]
    assert field("ec2.name", run) == "web-1"
    assert field("ct.response.subnetid", run) == "subnet-1a2b3c4d"
    assert field("ct.request.subnetid", run) == "subnet-1a2b3c4d"
    assert field("ec2.imageid", run) is None  # the plugin reads a response tag set


def test_json_pointers() -> None:
    rec = record("PutObject", "s3", {"a/b": {"m~n": ["x", {"": "empty"}]}, "n": None})
    assert field("json.value", rec, "/requestParameters/a~1b/m~0n/0") == "x"
    assert field("json.value", rec, "/requestParameters/a~1b/m~0n/1/") == "empty"
    assert field("json.value", rec, "requestParameters/a~1b/m~0n/0") == "x"  # no leading /
    assert field("json.value", rec, "/requestParameters/a~1b/m~0n/2") is None
    assert field("json.value", rec, "/requestParameters/a~1b/m~0n/-1") is None
    assert field("json.value", rec, "/requestParameters/a/b") is None
    assert field("json.value", rec, "/requestParameters/n") == "null"
    assert field("json.value", rec, "/readOnly") == "false"
    assert field("jevt.value", rec, "/eventName") == "PutObject"
    assert parse_pointer("/a~01/b~10") == ("a~1", "b/0")
    login = console_login(ROOT, "No")
    assert field("json.value", login, "/additionalEventData/MFAUsed") == "No"
    assert field("evt.plugininfo", login) == "<NA> via 203.0.113.10 ← ConsoleLogin"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    [
        "eventName",
        "eventSource",
        "userIdentity",
        "type",
        "userName",
        "sessionContext",
        "sessionIssuer",
        "arn",
        "principalId",
        "requestParameters",
        "responseElements",
        "additionalEventData",
        "bytesTransferredIn",
        "bytesTransferredOut",
        "bucketName",
        "key",
        "tagSpecificationSet",
        "items",
        "tags",
        "resources",
        "readOnly",
        "eventTime",
        "errorCode",
    ]
)


def _deep(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return _json
    return st.dictionaries(
        _KEYS, _deep(depth - 1) | _json | st.lists(_deep(depth - 1), max_size=2), max_size=6
    )


@settings(max_examples=150, deadline=None)
@given(_deep(3), st.sampled_from(["/userIdentity/type", "/a~1b", "", "/0"]))
def test_every_field_survives_hostile_records(record: dict[str, Any], arg: str) -> None:
    for name, info in SRC.fields.items():
        value = field(name, record, arg if info.arg is not None else None)
        assert value is None or isinstance(value, str | int | bool), name
        if info.type.numeric and value is not None:
            assert isinstance(value, int) and (0 <= value < 2**64 or name.startswith("evt.")), name
