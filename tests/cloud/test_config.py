"""The AWS Config recorder collector against moto: recorders, what they record, status.

moto has no delivery to S3, so a started recorder stays in last status PENDING.
"""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.monitoring_seed import OTHER_REGION, recorder

RECORDER = "aws.config.recorder"


def test_recorders_per_region(aws: boto3.Session, target: Target) -> None:
    recorder(aws, REGION, include_global=True)
    recorder(aws, OTHER_REGION, all_supported=False, start=False)
    inv = collect([target], regions=[REGION, OTHER_REGION, "ap-south-1"], types=[RECORDER])
    assert inv.errors == ()
    got = {r.region: r for r in inv.of_type(RECORDER)}
    assert set(got) == {REGION, OTHER_REGION}  # none in ap-south-1
    main = got[REGION].attributes
    assert got[REGION].id == "default"
    assert main["role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/aws-config"
    assert main["all_supported"] and main["include_global_resource_types"]
    assert main["recording"] is True and main["last_status"] == "PENDING"
    assert main["last_status_change_time"] is not None and main["errors"] == {}
    other = got[OTHER_REGION].attributes
    assert not other["all_supported"] and not other["include_global_resource_types"]
    assert other["resource_types"] == ["AWS::EC2::Instance", "AWS::S3::Bucket"]
    assert other["recording"] is False and other["last_status"] is None
