"""AWS SAM templates: serverless functions are expanded as the SAM specification documents
(function, FunctionUrlConfig -> AWS::Lambda::Url `<Id>Url`, the generated `<Id>Role` with
the inline policy documents of `Policies`), with Globals applied."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.workload.iac.cfn_sam import expand_sam, merge_globals
from tests.workload.iac.gaps_support import IGNORED, OPEN, PASS, scan
from tests.workload.iac.gaps_support import verdicts as verdicts_of


def test_function_urls_and_roles_are_judged() -> None:
    outcome = scan("sam")
    url = verdicts_of(outcome, "lambda_function_url_auth_required")
    assert url == {
        "PassFunction": PASS,  # AuthType AWS_IAM from Globals
        "FailFunction": OPEN,  # its own FunctionUrlConfig wins: NONE
        "IgnoredFunction": IGNORED,  # mamori:ignore in the function's body
    }
    admin = verdicts_of(outcome, "iam_inline_policy_no_full_admin")
    # PassFunction's generated role has no inline policy; IgnoredFunction names its role
    assert admin == {"FailFunctionRole": OPEN}
    lines = {f.evidence["address"]: f.evidence["line"] for f in outcome.report.findings}
    assert lines["FailFunctionRole"] == lines["FailFunction"]
    functions = {
        r.attributes["iac"]["address"]: r
        for r in outcome.resources
        if r.type.startswith("aws.lambda")
    }
    assert functions["PassFunction"].name == "pass-fn"
    assert set(functions) == {"PassFunction", "FailFunction", "IgnoredFunction"}


def test_globals_merge() -> None:
    defaults = {"Timeout": 3, "Environment": {"Variables": {"A": "1", "B": "2"}}, "Layers": ["x"]}
    local = {"Timeout": 9, "Environment": {"Variables": {"B": "3"}}, "Layers": ["y"]}
    assert merge_globals(defaults, local) == {
        "Timeout": 9,
        "Environment": {"Variables": {"A": "1", "B": "3"}},
        "Layers": ["x", "y"],
    }
    # an intrinsic is a value: the function's replaces the globals' whole
    assert merge_globals({"Ref": "A"}, {"Fn::If": ["C", 1, 2]}) == {"Fn::If": ["C", 1, 2]}


def test_not_sam_is_unchanged() -> None:
    data: dict[str, Any] = {"Resources": {"F": {"Type": "AWS::Serverless::Function"}}}
    assert expand_sam(data, {}) == (data, {})


def test_condition_and_declared_names_are_kept() -> None:
    data = {
        "Transform": ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"],
        "Resources": {
            "F": {
                "Type": "AWS::Serverless::Function",
                "Condition": "Prod",
                "Properties": {"FunctionUrlConfig": {"AuthType": "NONE"}},
            },
            "FUrl": {"Type": "AWS::Lambda::Url", "Properties": {"AuthType": "AWS_IAM"}},
        },
    }
    expanded, lines = expand_sam(data, {("Resources", "F"): 4})
    resources = expanded["Resources"]
    assert resources["F"]["Type"] == "AWS::Lambda::Function"
    assert resources["F"]["Condition"] == resources["FRole"]["Condition"] == "Prod"
    assert resources["FUrl"]["Properties"] == {"AuthType": "AWS_IAM"}  # declared one kept
    assert lines[("Resources", "FRole")] == 4


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(globals_=_VALUES, resources=st.dictionaries(st.text(max_size=5), _VALUES, max_size=4))
def test_expansion_never_crashes(globals_: Any, resources: Any) -> None:
    data = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Globals": {"Function": globals_},
        "Resources": {
            **resources,
            "Fn": {"Type": "AWS::Serverless::Function", "Properties": globals_},
        },
    }
    expanded, _ = expand_sam(data, {})
    assert isinstance(expanded["Resources"], dict)
