"""CIS AWS 3.0 4.16 against moto: Security Hub on in one region, off in another."""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target
from mamori.model import Inventory
from mamori.posture.check import Verdict, checks
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.monitoring_seed import OTHER_REGION
from tests.cloud.moto_auth import denying, enforced, principal
from tests.posture.iam_helpers import collect_for

CHECK = "securityhub_enabled"


def by_region(inventory: Inventory) -> dict[str, tuple[Verdict, str | None]]:
    """Verdict and hub ARN per region (every hub's id is "hub/default")."""
    results = list(checks.get(CHECK)().run(inventory))
    got = {r.region: (r.verdict, r.resource.arn if r.resource else None) for r in results}
    assert len(got) == len(results) and all(r.account == ACCOUNT for r in results)
    return got


def test_enabled_per_region(aws: boto3.Session, target: Target) -> None:
    aws.client("securityhub").enable_security_hub()
    inv = collect_for(target, CHECK, regions=(REGION, OTHER_REGION))
    hub = f"arn:aws:securityhub:{{}}:{ACCOUNT}:hub/default"
    assert by_region(inv) == {
        REGION: (Verdict.PASS, hub.format(REGION)),
        OTHER_REGION: (Verdict.FAIL, hub.format(OTHER_REGION)),
    }


def test_denied_is_manual(aws: boto3.Session, moto_url: str) -> None:
    session = principal(aws, "scanner", denying("securityhub:DescribeHub"))
    with enforced(moto_url):
        inv = collect_for(Target(session, ACCOUNT), CHECK, regions=(REGION,))
    assert by_region(inv) == {REGION: (Verdict.MANUAL, None)}
