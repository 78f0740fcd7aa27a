"""Inline IAM policies (aws_iam_role inline_policy, aws_iam_role/user/group_policy;
AWS::IAM::Role/User/Group Policies, AWS::IAM::Policy) map onto the collectors' principal
model (`inline_policies`), and iam_inline_policy_no_full_admin judges them as Checkov's
CKV_AWS_62 does, on the resource that declares the policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from mamori.model import CloudResource, Inventory
from mamori.posture.check import Verdict, checks
from mamori.workload.iac.scan import IacScanRequest, run_iac_scan
from tests.support import need_shared
from tests.workload.iac.gaps_support import OPEN, PASS, checkov, dropped, ours, scan
from tests.workload.iac.gaps_support import verdicts as verdicts_of

CHECK = "iam_inline_policy_no_full_admin"


def test_terraform_inline_policies_are_judged() -> None:
    outcome = scan("terraform", CHECK)
    assert verdicts_of(outcome, CHECK) == {
        "aws_iam_role.pass": PASS,
        "aws_iam_role.fail": OPEN,
        "aws_iam_role_policy.pass": PASS,
        "aws_iam_role_policy.fail": OPEN,  # heredoc JSON, Action a list holding "*"
        "aws_iam_user_policy.fail": OPEN,
        "aws_iam_group_policy.pass": PASS,  # Deny *:* grants nothing
    }
    # a role without inline policies gives no verdict; a data-source document is n/a
    assert dropped(outcome, CHECK) == {"aws_iam_role_policy.unknown"}
    roles = {r.attributes["iac"]["address"]: r for r in outcome.resources}
    assert roles["aws_iam_role.fail"].type == "aws.iam.role"
    assert roles["aws_iam_role.fail"].name == "admin"
    assert roles["aws_iam_user_policy.fail"].type == "aws.iam.user"
    assert roles["aws_iam_user_policy.fail"].name == "alice"
    assert roles["aws_iam_role_policy.fail"].attributes["inline_policies"][0]["name"] == "admin"


def test_plan_inline_policies_are_judged() -> None:
    outcome = scan("plan", CHECK)
    assert verdicts_of(outcome, CHECK) == {
        "aws_iam_role.pass": PASS,
        "aws_iam_role_policy.fail": OPEN,
    }
    assert dropped(outcome, CHECK) == {"aws_iam_role_policy.unknown"}


def test_cloudformation_inline_policies_are_judged() -> None:
    outcome = scan("cloudformation", CHECK)
    assert verdicts_of(outcome, CHECK) == {
        "PassRole": PASS,
        "FailRole": OPEN,  # the second of two inline policies
        "FailUser": OPEN,
        "PassGroup": PASS,
        "PassPolicy": PASS,  # Action * on one bucket only
        "FailPolicy": OPEN,
    }
    reasons = {f.evidence["address"]: f.reason for f in outcome.report.findings}
    assert "admin" in (reasons["FailRole"] or "")


def test_partly_unknown_policies_fail_but_never_pass(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Mixed:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: admin
          PolicyDocument: {Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
        - PolicyName: imported
          PolicyDocument: !ImportValue shared-policy
  MixedPass:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: read
          PolicyDocument: {Statement: [{Effect: Allow, Action: "s3:Get*", Resource: "*"}]}
        - PolicyName: imported
          PolicyDocument: !ImportValue shared-policy
"""
    )
    outcome = run_iac_scan(IacScanRequest(tmp_path, include_passed=True, checks=[CHECK]))
    assert verdicts_of(outcome, CHECK) == {"Mixed": OPEN}
    assert dropped(outcome, CHECK) == {"MixedPass"}


def test_api_principals_are_judged_only_when_they_carry_inline_policies() -> None:
    """The same check on collector-shaped resources: a role without the attribute (not
    collected that way) gives no verdict; one with an admin inline policy fails."""

    def role(name: str, **attrs: object) -> CloudResource:
        return CloudResource(type="aws.iam.role", id=name, name=name, account="1", attributes=attrs)

    admin = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    inventory = Inventory(
        provider="aws",
        resources=(
            role("plain"),
            role("none", inline_policies=[]),
            role("admin", inline_policies=[{"name": "all", "document": admin}]),
        ),
    )
    results = list(checks.get(CHECK)().run(inventory))
    assert [(r.resource.id if r.resource else "", r.verdict) for r in results] == [
        ("admin", Verdict.FAIL)
    ]


def test_corpus_role_with_admin_inline_policy_fails() -> None:
    corpus = need_shared("data/iac-corpus/cloudformation")
    outcome = run_iac_scan(IacScanRequest(corpus, include_passed=True, checks=[CHECK]))
    failing = {
        (f.evidence["file"].rsplit("/", 1)[-1], f.evidence["address"])
        for f in outcome.report.findings
        if f.status == OPEN
    }
    assert ("Elasticache-snapshot.template", "IamRoleLambda") in failing


@pytest.mark.slow
@pytest.mark.parametrize(
    ("folder", "framework"), [("terraform", "terraform"), ("cloudformation", "cloudformation")]
)
def test_agrees_with_checkov(folder: str, framework: str, tmp_path: Path) -> None:
    theirs = checkov(folder, framework, "CKV_AWS_62", tmp_path)
    mine = ours(scan(folder, CHECK), CHECK)
    # Checkov's Terraform CKV_AWS_62 does not read aws_iam_role inline_policy blocks
    compared = set(theirs) & set(mine)
    assert len(compared) >= 4
    assert {k: theirs[k] for k in compared} == {k: mine[k] for k in compared}
