"""Which events a trail's selectors record, on selector shapes moto cannot return.

Each trail is built with the attribute shape the CloudTrail collector documents; the
expected sets follow the CloudTrail event selector documentation.
"""

from __future__ import annotations

from typing import Any

import pytest

from mamori.model import CloudResource
from mamori.posture.checks.aws._trails import (
    BOTH,
    READ,
    WRITE,
    management_events,
    s3_object_events,
)

NONE: frozenset[str] = frozenset()


def trail(classic: list[dict[str, Any]], advanced: list[dict[str, Any]]) -> CloudResource:
    arn = "arn:aws-us-gov:cloudtrail:us-gov-west-1:123456789012:trail/t"
    return CloudResource(
        type="aws.cloudtrail.trail",
        id=arn,
        arn=arn,
        account="123456789012",
        region="us-gov-west-1",
        attributes={"event_selectors": classic, "advanced_event_selectors": advanced},
    )


def field(name: str, **ops: list[str]) -> dict[str, Any]:
    return {"field": name, **ops}


DATA = [
    field("eventCategory", equals=["Data"]),
    field("resources.type", equals=["AWS::S3::Object"]),
]


@pytest.mark.parametrize(
    ("fields", "management"),
    [
        ([field("eventCategory", equals=["Management"])], BOTH),
        (
            [field("eventCategory", equals=["Management"]), field("readOnly", equals=["false"])],
            {WRITE},
        ),
        (
            [
                field("eventCategory", equals=["Management"]),
                field("readOnly", not_equals=["false"]),
            ],
            {READ},
        ),
        (  # excluding KMS events is still "all management events" for CIS
            [
                field("eventCategory", equals=["Management"]),
                field("eventSource", not_equals=["kms.amazonaws.com"]),
            ],
            BOTH,
        ),
        (DATA, NONE),
    ],
)
def test_advanced_management(fields: list[dict[str, Any]], management: frozenset[str]) -> None:
    assert management_events(trail([], [{"name": "", "field_selectors": fields}])) == management


@pytest.mark.parametrize(
    ("extra", "s3"),
    [
        ([], BOTH),
        ([field("readOnly", equals=["true"])], {READ}),
        ([field("resources.ARN", starts_with=["arn:aws-us-gov:s3:::"])], BOTH),  # all buckets
        ([field("resources.ARN", starts_with=["arn:aws-us-gov:s3:::logs/"])], NONE),
        ([field("resources.ARN", starts_with=["arn:aws:s3:::"])], NONE),  # other partition
        ([field("eventName", equals=["PutObject"])], NONE),  # narrowed to one call
    ],
)
def test_advanced_s3_objects(extra: list[dict[str, Any]], s3: frozenset[str]) -> None:
    selector = {"name": "", "field_selectors": [*DATA, *extra]}
    assert s3_object_events(trail([], [selector])) == s3


def test_classic_selectors() -> None:
    def classic(rw: str, mgmt: bool, *values: str) -> dict[str, Any]:
        data = [{"type": "AWS::S3::Object", "values": list(values)}] if values else []
        return {
            "read_write_type": rw,
            "include_management_events": mgmt,
            "exclude_management_event_sources": ["kms.amazonaws.com"],
            "data_resources": data,
        }

    split = trail([classic("ReadOnly", True), classic("WriteOnly", True)], [])
    assert management_events(split) == BOTH  # read and write from two selectors
    assert s3_object_events(split) == NONE
    every = trail([classic("WriteOnly", False, "arn:aws-us-gov:s3:::")], [])
    assert (management_events(every), s3_object_events(every)) == (NONE, frozenset({WRITE}))
    one = trail([classic("All", False, "arn:aws-us-gov:s3:::logs/")], [])
    assert s3_object_events(one) == NONE
    unknown = trail([], []).model_copy(update={"attributes": {"event_selectors": None}})
    assert management_events(unknown) is None and s3_object_events(unknown) is None
