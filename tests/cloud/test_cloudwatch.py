"""The CloudWatch alarm collector against moto: the metric and the actions of each alarm."""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.monitoring_seed import alarm_chain

ALARM = "aws.cloudwatch.alarm"


def test_alarms(aws: boto3.Session, target: Target) -> None:
    topic = alarm_chain(aws, "{ $.eventName = StopLogging }", metric="trail_changes")
    alarm_chain(aws, "{ $.eventName = DeleteVpc }", metric="vpc", actions_enabled=False)
    aws.client("cloudwatch").put_metric_alarm(
        AlarmName="math",
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        Metrics=[
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": {"Namespace": "CISBenchmark", "MetricName": "vpc"},
                    "Period": 300,
                    "Stat": "Sum",
                },
                "ReturnData": True,
            }
        ],
    )
    inv = collect([target], regions=[REGION], types=[ALARM])
    assert inv.errors == ()
    got = {r.id: r for r in inv.of_type(ALARM)}
    assert set(got) == {"trail_changes_alarm", "vpc_alarm", "math"}
    alarm = got["trail_changes_alarm"]
    assert alarm.arn == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:trail_changes_alarm"
    attrs = alarm.attributes
    assert (attrs["metric_name"], attrs["namespace"]) == ("trail_changes", "CISBenchmark")
    assert (attrs["statistic"], attrs["period"], attrs["threshold"]) == ("Sum", 300, 1.0)
    assert attrs["comparison_operator"] == "GreaterThanOrEqualToThreshold"
    assert attrs["alarm_actions"] == [topic] and attrs["actions_enabled"] is True
    assert got["vpc_alarm"].attributes["actions_enabled"] is False
    math = got["math"].attributes
    assert math["metric_name"] is None
    assert math["metrics"] == [
        {
            "id": "m1",
            "metric_name": "vpc",
            "namespace": "CISBenchmark",
            "expression": None,
            "return_data": True,
        }
    ]
