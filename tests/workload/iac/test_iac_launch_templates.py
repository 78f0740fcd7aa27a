"""IMDSv2 in launch templates (aws_launch_template, aws_launch_configuration,
AWS::EC2::LaunchTemplate) and in instances launched from one: ec2_instance_imdsv2_required
judges the templates as Checkov's CKV_AWS_79 does, and an instance takes its template's
options unless it sets its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from mamori.workload.iac.scan import IacScanRequest, run_iac_scan
from tests.support import need_shared
from tests.workload.iac.gaps_support import OPEN, PASS, checkov, dropped, ours, scan
from tests.workload.iac.gaps_support import verdicts as verdicts_of

CHECK = "ec2_instance_imdsv2_required"


def test_terraform_templates_and_instances() -> None:
    outcome = scan("terraform", CHECK)
    assert verdicts_of(outcome, CHECK) == {
        "aws_launch_template.pass": PASS,
        "aws_launch_template.fail": OPEN,
        "aws_launch_template.fail_default": OPEN,  # no metadata_options: tokens optional
        "aws_launch_template.pass_disabled": PASS,
        "aws_launch_configuration.fail": OPEN,
        "aws_instance.pass_from_template": PASS,  # by reference to the template
        "aws_instance.fail_from_template": OPEN,  # by the template's literal name
        "aws_instance.fail_override": OPEN,  # its own http_tokens beat the template's
        "aws_instance.pass_own": PASS,  # template unknown, but tokens required decide
    }
    assert dropped(outcome, CHECK) == {"aws_instance.unknown_template"}
    types = {r.attributes["iac"]["address"]: r.type for r in outcome.resources}
    assert types["aws_launch_template.pass"] == "aws.ec2.launch_template"


def test_plan_templates() -> None:
    outcome = scan("plan", CHECK)
    assert verdicts_of(outcome, CHECK) == {
        "aws_launch_template.pass": PASS,
        "aws_launch_template.fail": OPEN,
    }
    assert dropped(outcome, CHECK) == {"aws_launch_template.unknown"}


def test_cloudformation_templates_and_instances() -> None:
    outcome = scan("cloudformation", CHECK)
    assert verdicts_of(outcome, CHECK) == {
        "PassTemplate": PASS,  # HttpTokens from a parameter's default
        "FailTemplate": OPEN,
        "FailTemplateDefault": OPEN,
        "PassTemplateDisabled": PASS,
        "PassInstance": PASS,  # LaunchTemplateId: !Ref PassTemplate
        "FailInstance": OPEN,  # LaunchTemplateName: optional
    }
    # an instance without a template: its options are the AMI's and the account's
    assert dropped(outcome, CHECK) == {"PlainInstance"}


def test_corpus_launch_templates_are_judged() -> None:
    corpus = need_shared("data/iac-corpus/terraform")
    outcome = run_iac_scan(IacScanRequest(corpus, include_passed=True, checks=[CHECK]))
    templates = {r.id for r in outcome.resources if r.type == "aws.ec2.launch_template"}
    assert templates  # the eks node groups' templates (their options: module inputs)
    judged = {f.resource.name for f in outcome.report.findings} | {
        rid for _, rid, _ in outcome.not_applicable
    }
    assert templates <= judged


@pytest.mark.slow
@pytest.mark.parametrize(
    ("folder", "framework"), [("terraform", "terraform"), ("cloudformation", "cloudformation")]
)
def test_agrees_with_checkov(folder: str, framework: str, tmp_path: Path) -> None:
    theirs = checkov(folder, framework, "CKV_AWS_79", tmp_path)
    mine = ours(scan(folder, CHECK), CHECK)
    compared = set(theirs) & set(mine)
    assert len(compared) >= 4
    # Checkov judges aws_instance on its own metadata_options block only: an instance
    # that sets none fails there even when its launch template requires tokens
    known = {"aws_instance.pass_from_template"}
    differ = {k for k in compared if theirs[k] != mine[k]}
    assert differ == (known & compared)
