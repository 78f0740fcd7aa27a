"""The CloudTrail collector against moto: what was configured is what is collected.

The oracle is the seeding. moto cannot emulate an organization trail seen from a member
account, a log bucket in another account, nor AWS's default event selector on a new
trail (it returns none); trail delivery times are moto's own clock.
"""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.monitoring_seed import OTHER_REGION, log_group_arn, trail
from tests.cloud.moto_auth import denying, enforced, principal

TRAIL = "aws.cloudtrail.trail"
REGIONS = [REGION, OTHER_REGION]


def test_each_trail_once_in_its_home_region(aws: boto3.Session, target: Target) -> None:
    main = trail(
        aws,
        "org-main",
        log_group="cloudtrail",
        validation=True,
        kms_key="alias/trail",
        access_logging=True,
        selectors=[
            {
                "ReadWriteType": "WriteOnly",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            }
        ],
    )
    local = trail(aws, "eu-local", region=OTHER_REGION, multi_region=False, logging=False)
    inv = collect([target], regions=REGIONS, types=[TRAIL])
    assert inv.errors == ()
    # The multi-region trail's shadow in eu-west-1 is not a second trail.
    assert {(r.id, r.region) for r in inv.of_type(TRAIL)} == {
        (main, REGION),
        (local, OTHER_REGION),
    }
    got = {r.name: r for r in inv.of_type(TRAIL)}
    attrs = got["org-main"].attributes
    assert got["org-main"].arn == main and got["org-main"].account == ACCOUNT
    assert attrs["is_multi_region"] and attrs["log_file_validation_enabled"]
    assert attrs["kms_key_id"] == "alias/trail"
    assert attrs["s3_bucket_name"] == "org-main-logs"
    assert attrs["cloudwatch_logs_log_group_arn"] == log_group_arn("cloudtrail")
    assert attrs["status"]["is_logging"] is True
    assert attrs["status"]["start_logging_time"] is not None
    assert attrs["event_selectors"] == [
        {
            "read_write_type": "WriteOnly",
            "include_management_events": True,
            "exclude_management_event_sources": [],
            "data_resources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}],
        }
    ]
    assert attrs["advanced_event_selectors"] == []
    assert attrs["s3_bucket_logging"] == {
        "enabled": True,
        "target_bucket": "org-main-access",
        "target_prefix": "trail/",
    }
    assert attrs["errors"] == {}
    other = got["eu-local"].attributes
    assert other["home_region"] == OTHER_REGION and not other["is_multi_region"]
    assert other["status"]["is_logging"] is False
    assert other["kms_key_id"] is None and not other["log_file_validation_enabled"]
    assert other["s3_bucket_logging"] == {
        "enabled": False,
        "target_bucket": None,
        "target_prefix": None,
    }


def test_advanced_selectors_keep_their_operators(aws: boto3.Session, target: Target) -> None:
    trail(
        aws,
        "advanced",
        advanced=[
            {
                "Name": "s3 reads",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::"]},
                    {"Field": "readOnly", "Equals": ["true"]},
                ],
            }
        ],
    )
    (found,) = collect([target], regions=[REGION], types=[TRAIL]).of_type(TRAIL)
    assert found.attributes["event_selectors"] == []
    assert found.attributes["advanced_event_selectors"] == [
        {
            "name": "s3 reads",
            "field_selectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                {"field": "resources.ARN", "starts_with": ["arn:aws:s3:::"]},
                {"field": "readOnly", "equals": ["true"]},
            ],
        }
    ]


def test_a_failed_sub_call_is_recorded_on_the_trail(aws: boto3.Session, target: Target) -> None:
    trail(aws, "orphan")
    aws.client("s3").delete_bucket(Bucket="orphan-logs")  # the bucket went away
    inv = collect([target], regions=[REGION], types=[TRAIL])
    assert inv.errors == ()
    (found,) = inv.of_type(TRAIL)
    assert found.attributes["s3_bucket_logging"] is None
    assert found.attributes["errors"]["GetBucketLogging"].startswith("NoSuchBucket")
    assert found.attributes["status"]["is_logging"] is True  # the rest is still known


def test_denied_calls(aws: boto3.Session, moto_url: str) -> None:
    trail(aws, "watched")
    selectors = principal(aws, "no-selectors", denying("cloudtrail:GetEventSelectors"))
    listing = principal(aws, "no-listing", denying("cloudtrail:DescribeTrails"))
    with enforced(moto_url):
        partial = collect([Target(selectors, ACCOUNT)], regions=[REGION], types=[TRAIL])
        none = collect([Target(listing, ACCOUNT)], regions=[REGION], types=[TRAIL])
    (found,) = partial.of_type(TRAIL)
    assert found.attributes["event_selectors"] is None
    # moto answers JSON-protocol services with an XML error body, which botocore reads
    # as code "403"; AWS would say AccessDeniedException. The text is the same.
    denied = "not authorized to perform: cloudtrail:GetEventSelectors"
    assert denied in found.attributes["errors"]["GetEventSelectors"]
    assert found.attributes["status"]["is_logging"] is True
    assert none.of_type(TRAIL) == []
    assert [(e.type, e.region) for e in none.errors] == [(TRAIL, REGION)]
    assert "not authorized to perform: cloudtrail:DescribeTrails" in none.errors[0].message


def test_no_trails_is_no_resources_and_no_error(target: Target) -> None:
    inv = collect([target], regions=REGIONS, types=[TRAIL])
    assert inv.of_type(TRAIL) == [] and inv.errors == ()
