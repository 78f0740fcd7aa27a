"""The Security Hub collector against moto: one hub resource per region, on or off.

moto does not implement GetEnabledStandards; that per-hub failure lands in the hub's
`errors` and leaves `standards` None, which is the path a denied call takes on AWS.
"""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.monitoring_seed import OTHER_REGION

HUB = "aws.securityhub.hub"


def test_enabled_and_not_subscribed(aws: boto3.Session, target: Target) -> None:
    aws.client("securityhub").enable_security_hub(EnableDefaultStandards=False)
    inv = collect([target], regions=[REGION, OTHER_REGION], types=[HUB])
    assert inv.errors == ()  # "not subscribed" is a fact, not a failure
    got = {r.region: r for r in inv.of_type(HUB)}
    assert set(got) == {REGION, OTHER_REGION}
    on, off = got[REGION], got[OTHER_REGION]
    assert on.arn == f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default"
    assert off.arn == f"arn:aws:securityhub:{OTHER_REGION}:{ACCOUNT}:hub/default"
    assert on.attributes["enabled"] is True and on.attributes["subscribed_at"] is not None
    assert on.attributes["auto_enable_controls"] is True
    standards, errors = on.attributes["standards"], on.attributes["errors"]
    assert (standards is None) == ("GetEnabledStandards" in errors)
    assert off.attributes == {
        "enabled": False,
        "subscribed_at": None,
        "auto_enable_controls": None,
        "control_finding_generator": None,
        "standards": None,
        "errors": {},
    }
