"""Which resource-policy statements grant something to anyone (pure, hand-built policies)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.cloud.aws.resources._resource_policy import allows, parse, public_actions


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal: Any, action: Any = "lambda:InvokeFunctionUrl", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


def test_wildcard_principals_are_public() -> None:
    for principal in ("*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::1:root", "*"]}):
        assert public_actions(policy(allow(principal))) == ["lambda:InvokeFunctionUrl"]
    not_principal = {
        "Effect": "Allow",
        "NotPrincipal": {"AWS": "arn:aws:iam::1:root"},
        "Action": "s3:*",
    }
    assert public_actions(policy(not_principal)) == ["s3:*"]


def test_named_principals_and_denies_are_not() -> None:
    assert public_actions(policy(allow({"AWS": "arn:aws:iam::123456789012:root"}))) == []
    assert public_actions(policy(allow({"Service": "s3.amazonaws.com"}))) == []
    assert public_actions(policy({**allow("*"), "Effect": "Deny"})) == []
    assert public_actions(None) == [] and public_actions({"Statement": "junk"}) == []


def test_narrowing_conditions() -> None:
    narrowed = [
        {"StringEquals": {"aws:SourceAccount": "123456789012"}},
        {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"}},
        {"StringEquals": {"aws:PrincipalOrgID": ["o-1"]}},
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    ]
    for condition in narrowed:
        assert public_actions(policy(allow("*", Condition=condition))) == [], condition
    wide = [
        {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
        {"StringNotEquals": {"aws:SourceAccount": "123456789012"}},
        {"StringEqualsIfExists": {"aws:SourceAccount": "123456789012"}},
        {"IpAddress": {"aws:SourceIp": ["0.0.0.0/0"]}},
        {"StringLike": {"aws:PrincipalOrgID": "*"}},
    ]
    for condition in wide:
        assert public_actions(policy(allow("*", Condition=condition))), condition


def test_actions_and_matching() -> None:
    found = public_actions(
        policy(
            allow("*", ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]),
            {"Effect": "Allow", "Principal": "*", "NotAction": "ecr:DeleteRepository"},
        )
    )
    assert found == ["*", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    assert allows(["lambda:*"], "lambda:InvokeFunctionUrl")
    assert allows(["Lambda:invoke*"], "lambda:InvokeFunctionUrl")
    assert not allows(["lambda:InvokeFunction"], "lambda:InvokeFunctionUrl")
    assert parse('{"Statement": []}') == {"Statement": []}
    assert parse("not json") is None and parse("[1]") is None and parse(None) is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(["Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Condition"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(KEYS, JSON, max_size=6), max_size=4), st.text(max_size=40))
def test_arbitrary_documents_never_crash(statements: list[dict[str, Any]], text: str) -> None:
    found = public_actions({"Statement": statements})
    assert found == sorted(set(found))
    assert all(isinstance(a, str) for a in found)
    parse(text)
    parse(json.dumps(statements))
