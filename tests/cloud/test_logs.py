"""The CloudWatch Logs metric filter collector against moto (moto omits creationTime)."""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud.conftest import REGION
from tests.cloud.monitoring_seed import OTHER_REGION, alarm_chain

FILTER = "aws.logs.metric_filter"
ROOT = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }'


def test_metric_filters_per_region(aws: boto3.Session, target: Target) -> None:
    alarm_chain(aws, ROOT, log_group="/aws/cloudtrail/main", metric="root_usage")
    alarm_chain(aws, "{ $.errorCode = AccessDenied }", region=OTHER_REGION, metric="denied")
    inv = collect([target], regions=[REGION, OTHER_REGION], types=[FILTER])
    assert inv.errors == ()
    assert {(r.region, r.id) for r in inv.of_type(FILTER)} == {
        (REGION, "/aws/cloudtrail/main:root_usage"),
        (OTHER_REGION, "cloudtrail:denied"),
    }
    (root,) = [r for r in inv.of_type(FILTER) if r.region == REGION]
    assert root.name == "root_usage"
    assert root.attributes["log_group_name"] == "/aws/cloudtrail/main"
    assert root.attributes["filter_pattern"] == ROOT
    assert root.attributes["metric_transformations"] == [
        {
            "metric_name": "root_usage",
            "metric_namespace": "CISBenchmark",
            "metric_value": "1",
            "default_value": None,
            "unit": None,
        }
    ]
