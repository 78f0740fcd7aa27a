"""The GuardDuty detector collector against moto."""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.monitoring_seed import OTHER_REGION

DETECTOR = "aws.guardduty.detector"


def test_detectors_per_region(aws: boto3.Session, target: Target) -> None:
    on = aws.client("guardduty").create_detector(
        Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES"
    )["DetectorId"]
    off = aws.client("guardduty", region_name=OTHER_REGION).create_detector(Enable=False)[
        "DetectorId"
    ]
    inv = collect([target], regions=[REGION, OTHER_REGION, "ap-south-1"], types=[DETECTOR])
    assert inv.errors == ()
    got = {r.id: r for r in inv.of_type(DETECTOR)}
    assert set(got) == {on, off}
    assert got[on].region == REGION and got[off].region == OTHER_REGION
    assert got[on].arn == f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/{on}"
    assert got[on].attributes["status"] == "ENABLED"
    assert got[on].attributes["finding_publishing_frequency"] == "FIFTEEN_MINUTES"
    assert got[on].attributes["created"] is not None
    assert got[off].attributes["status"] == "DISABLED"
    assert got[off].attributes["errors"] == {}
