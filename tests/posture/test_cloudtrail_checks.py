"""CIS AWS 3.0 3.1, 3.2, 3.4, 3.5, 3.8, 3.9 against moto: seeded good and bad trails.

moto cannot seed an organization trail or a log bucket in another account; a denied
GetBucketLogging stands in for the latter (it is what a member account sees).
"""

from __future__ import annotations

from typing import Any

import boto3

from mamori.cloud.aws.collect import Target
from mamori.model import CollectionError, ErrorKind, Inventory
from mamori.posture.check import Verdict, checks
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.monitoring_seed import ALL_MANAGEMENT, OTHER_REGION, trail
from tests.cloud.moto_auth import denying, enforced, principal
from tests.posture.iam_helpers import collect_for, verdicts

PASS, FAIL, MANUAL = Verdict.PASS, Verdict.FAIL, Verdict.MANUAL
MULTI = "cloudtrail_multi_region_enabled"
VALIDATION = "cloudtrail_log_file_validation_enabled"
ACCESS_LOGGING = "cloudtrail_bucket_access_logging_enabled"
KMS = "cloudtrail_kms_encryption_enabled"
WRITES = "cloudtrail_s3_object_write_events_logged"
READS = "cloudtrail_s3_object_read_events_logged"
PER_TRAIL = (VALIDATION, ACCESS_LOGGING, KMS)
ACCOUNT_LEVEL = (MULTI, WRITES, READS)
ACCT = f"{ACCOUNT}/global"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"


def s3_data(rw: str) -> list[dict[str, Any]]:
    return [
        {
            "ReadWriteType": "All",
            "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
        }
    ] + ([] if rw == "All" else [{"ReadWriteType": rw, "IncludeManagementEvents": False}])


def reason(check_id: str, inventory: Inventory) -> str:
    (result,) = [r for r in checks.get(check_id)().run(inventory) if r.resource is None]
    return result.reason


def test_good_and_bad_trails(aws: boto3.Session, target: Target) -> None:
    good = trail(
        aws, "main", selectors=s3_data("All"), validation=True, kms_key=KEY, access_logging=True
    )
    bad = trail(aws, "local", region=OTHER_REGION, multi_region=False)
    inv = collect_for(target, *PER_TRAIL, *ACCOUNT_LEVEL, regions=(REGION, OTHER_REGION))
    for check_id in PER_TRAIL:
        assert verdicts(check_id, inv) == {good: PASS, bad: FAIL}, check_id
    for check_id in ACCOUNT_LEVEL:
        assert verdicts(check_id, inv) == {ACCT: PASS}, check_id
    assert "Trail main (us-east-1)" in reason(MULTI, inv)
    # A region that could not be listed does not undo what another region proves...
    lost = CollectionError(
        type="aws.cloudtrail.trail",
        account=ACCOUNT,
        region="ap-south-1",
        kind=ErrorKind.ACCESS_DENIED,
        message="AccessDenied: no",
    )
    partial = inv.model_copy(update={"errors": (lost,)})
    assert verdicts(MULTI, partial) == {ACCT: PASS}
    # ...but each per-trail check says it could not see that region's trails.
    assert verdicts(KMS, partial) == {good: PASS, bad: FAIL, f"{ACCOUNT}/ap-south-1": MANUAL}


def test_trails_that_do_not_count(aws: boto3.Session, target: Target) -> None:
    trail(aws, "single", multi_region=False)
    trail(aws, "stopped", logging=False)
    trail(aws, "reads", selectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}])
    trail(aws, "no-management", selectors=[{"IncludeManagementEvents": False}])
    inv = collect_for(target, MULTI, WRITES)
    assert verdicts(MULTI, inv) == {ACCT: FAIL}
    text = reason(MULTI, inv)
    for why in (
        "single: not multi-region",
        "stopped: not logging",
        "reads: does not record write events",
        "no-management: does not record read or write events",
    ):
        assert why in text
    assert verdicts(WRITES, inv) == {ACCT: FAIL}


def test_no_trail_at_all(target: Target) -> None:
    inv = collect_for(target, *PER_TRAIL, *ACCOUNT_LEVEL)
    for check_id in ACCOUNT_LEVEL:
        assert verdicts(check_id, inv) == {ACCT: FAIL}, check_id
        assert reason(check_id, inv).endswith("(no trails).")
    for check_id in PER_TRAIL:
        assert verdicts(check_id, inv) == {}, check_id


def test_classic_data_selectors(aws: boto3.Session, target: Target) -> None:
    trail(aws, "writes", selectors=s3_data("WriteOnly"))
    inv = collect_for(target, *ACCOUNT_LEVEL)
    assert [verdicts(c, inv) for c in ACCOUNT_LEVEL] == [{ACCT: PASS}, {ACCT: PASS}, {ACCT: PASS}]
    # One bucket only is not "all buckets"; a single-region trail misses other regions.
    aws.client("cloudtrail").put_event_selectors(
        TrailName="writes",
        EventSelectors=[
            *ALL_MANAGEMENT,
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": False,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::one/"]}],
            },
        ],
    )
    trail(aws, "regional", multi_region=False, selectors=s3_data("All"))
    inv = collect_for(target, *ACCOUNT_LEVEL)
    assert [verdicts(c, inv) for c in ACCOUNT_LEVEL] == [{ACCT: PASS}, {ACCT: FAIL}, {ACCT: FAIL}]


def test_advanced_selectors(aws: boto3.Session, target: Target) -> None:
    def field(name: str, key: str, *values: str) -> dict[str, Any]:
        return {"Field": name, key: list(values)}

    data = [
        field("eventCategory", "Equals", "Data"),
        field("resources.type", "Equals", "AWS::S3::Object"),
    ]
    trail(
        aws,
        "advanced",
        advanced=[
            {
                "Name": "management",
                "FieldSelectors": [field("eventCategory", "Equals", "Management")],
            },
            {"Name": "reads", "FieldSelectors": [*data, field("readOnly", "Equals", "true")]},
            {
                "Name": "writes to one bucket",
                "FieldSelectors": [
                    *data,
                    field("readOnly", "Equals", "false"),
                    field("resources.ARN", "StartsWith", "arn:aws:s3:::one/"),
                ],
            },
        ],
    )
    inv = collect_for(target, *ACCOUNT_LEVEL)
    assert verdicts(MULTI, inv) == {ACCT: PASS}
    assert verdicts(READS, inv) == {ACCT: PASS}
    assert verdicts(WRITES, inv) == {ACCT: FAIL}


def test_what_could_not_be_seen_is_manual(
    aws: boto3.Session, moto_url: str, target: Target
) -> None:
    trail(aws, "main", selectors=s3_data("All"), access_logging=True)
    no_selectors = principal(aws, "no-selectors", denying("cloudtrail:GetEventSelectors"))
    no_logging = principal(aws, "no-logging", denying("s3:GetBucketLogging"))
    no_trails = principal(aws, "no-trails", denying("cloudtrail:DescribeTrails"))
    with enforced(moto_url):
        blind = collect_for(Target(no_selectors, ACCOUNT), *ACCOUNT_LEVEL)
        bucket = collect_for(Target(no_logging, ACCOUNT), ACCESS_LOGGING)
        nothing = collect_for(Target(no_trails, ACCOUNT), MULTI, ACCESS_LOGGING)
    for check_id in ACCOUNT_LEVEL:
        assert verdicts(check_id, blind) == {ACCT: MANUAL}, check_id
    assert "GetEventSelectors failed for main" in reason(MULTI, blind)
    (arn,) = verdicts(ACCESS_LOGGING, bucket)
    assert verdicts(ACCESS_LOGGING, bucket) == {arn: MANUAL}
    assert verdicts(MULTI, nothing) == {ACCT: MANUAL}
    assert verdicts(ACCESS_LOGGING, nothing) == {f"{ACCOUNT}/{REGION}": MANUAL}
