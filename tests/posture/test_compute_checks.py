"""Lambda, ECR and EKS checks, each on a moto account seeded with passing and failing
resources: collect, run the check, expect the exact verdict per resource."""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from mamori.model import CloudResource, Inventory
from mamori.posture.check import Result, Verdict, checks
from tests.cloud import computeseed
from tests.cloud.conftest import ACCOUNT, REGION

PASS, FAIL, MANUAL = Verdict.PASS, Verdict.FAIL, Verdict.MANUAL


def run(target: Target, *check_ids: str) -> dict[str, dict[str, Verdict]]:
    """Verdict per resource id, per check, from one collection."""
    classes = [checks.get(c) for c in check_ids]
    types = sorted({t for cls in classes for t in cls.metadata.requires})
    inv = collect([target], regions=[REGION], types=types)
    assert not inv.errors
    return {c: verdicts(list(cls().run(inv))) for c, cls in zip(check_ids, classes, strict=True)}


def verdicts(results: list[Result]) -> dict[str, Verdict]:
    found = {r.resource.id: r.verdict for r in results if r.resource is not None}
    assert len(found) == len(results), "one result per resource"
    return found


def test_lambda_function_url_auth_required(aws: boto3.Session, target: Target) -> None:
    computeseed.function(aws, "open", url="NONE", public=True)
    computeseed.function(aws, "signed", url="AWS_IAM")
    computeseed.function(aws, "plain")
    found = run(target, "lambda_function_url_auth_required")
    assert found["lambda_function_url_auth_required"] == {
        "open": FAIL,
        "signed": PASS,
        "plain": PASS,
    }


def test_lambda_url_unreadable_is_manual() -> None:
    fn = CloudResource(
        type="aws.lambda.function",
        id="f",
        account=ACCOUNT,
        region=REGION,
        attributes={"url": None, "errors": {"GetFunctionUrlConfig": "AccessDeniedException"}},
    )
    inv = Inventory(accounts=(ACCOUNT,), regions=(REGION,), resources=(fn,))
    [result] = checks.get("lambda_function_url_auth_required")().run(inv)
    assert result.verdict == MANUAL and "GetFunctionUrlConfig failed" in result.reason


def test_ecr_repository_scan_on_push_enabled(aws: boto3.Session, target: Target) -> None:
    computeseed.repositories(aws)  # "scanned" scans on push; "open" and "org" do not
    check_id = "ecr_repository_scan_on_push_enabled"
    assert run(target, check_id)[check_id] == {"scanned": PASS, "open": FAIL, "org": FAIL}
    # Enhanced scanning: registry rules decide; the repository's own flag no longer counts.
    aws.client("ecr", region_name=REGION).put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[
            {
                "scanFrequency": "CONTINUOUS_SCAN",
                "repositoryFilters": [{"filter": "or*", "filterType": "WILDCARD"}],
            }
        ],
    )
    assert run(target, check_id)[check_id] == {"scanned": FAIL, "open": FAIL, "org": PASS}


def test_eks_cluster_checks(aws: boto3.Session, target: Target) -> None:
    computeseed.clusters(aws)
    found = run(
        target, "eks_cluster_endpoint_not_public", "eks_cluster_control_plane_logging_enabled"
    )
    assert found["eks_cluster_endpoint_not_public"] == {
        "open": FAIL,  # public, 0.0.0.0/0
        "private": PASS,
        "office": PASS,  # public, but only 203.0.113.0/24
    }
    assert found["eks_cluster_control_plane_logging_enabled"] == {
        "open": FAIL,  # api and audit only
        "private": PASS,  # all five types
        "office": FAIL,  # none
    }
