"""Seeding for the logging and monitoring tests: real API calls to the moto server.

Shared by the collector tests (tests/cloud/test_cloudtrail.py, ...) and the check tests
(tests/posture/test_cloudtrail_checks.py, ...), so a check is judged on exactly what the
collectors make of a configuration. moto returns no event selectors for a new trail
(AWS returns a default one recording all management events), so `trail` always puts
them explicitly.
"""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.cloud.conftest import ACCOUNT, REGION

OTHER_REGION = "eu-west-1"
ALL_MANAGEMENT = [{"ReadWriteType": "All", "IncludeManagementEvents": True}]
MONITORING_TYPES = [
    "aws.cloudtrail.trail",
    "aws.logs.metric_filter",
    "aws.cloudwatch.alarm",
    "aws.sns.subscription",
]


def log_group_arn(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:logs:{region}:{account}:log-group:{name}:*"


def _log_delivery(name: str) -> dict[str, Any]:
    """The bucket policy that lets S3 server access logging write into `<name>-access`."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{name}-access/*",
            }
        ],
    }


def trail(
    aws: boto3.Session,
    name: str,
    *,
    region: str = REGION,
    multi_region: bool = True,
    logging: bool = True,
    selectors: list[dict[str, Any]] | None = None,
    advanced: list[dict[str, Any]] | None = None,
    log_group: str | None = None,
    validation: bool = False,
    kms_key: str | None = None,
    access_logging: bool = False,
    account: str = ACCOUNT,
) -> str:
    """A trail writing to its own bucket `<name>-logs`; returns the trail ARN.

    `log_group` names a CloudWatch Logs group of `account` in the trail's region.
    """
    s3 = aws.client("s3", region_name=REGION)
    bucket = f"{name}-logs"
    s3.create_bucket(Bucket=bucket)
    if access_logging:
        s3.create_bucket(Bucket=f"{name}-access")
        s3.put_bucket_policy(Bucket=f"{name}-access", Policy=json.dumps(_log_delivery(name)))
        s3.put_bucket_logging(
            Bucket=bucket,
            BucketLoggingStatus={
                "LoggingEnabled": {"TargetBucket": f"{name}-access", "TargetPrefix": "trail/"}
            },
        )
    ct = aws.client("cloudtrail", region_name=region)
    extra: dict[str, Any] = {}
    if log_group:
        extra["CloudWatchLogsLogGroupArn"] = log_group_arn(log_group, region, account)
        extra["CloudWatchLogsRoleArn"] = f"arn:aws:iam::{account}:role/cloudtrail-to-logs"
    if kms_key:
        extra["KmsKeyId"] = kms_key
    arn = str(
        ct.create_trail(
            Name=name,
            S3BucketName=bucket,
            IsMultiRegionTrail=multi_region,
            EnableLogFileValidation=validation,
            **extra,
        )["TrailARN"]
    )
    if advanced is not None:
        ct.put_event_selectors(TrailName=name, AdvancedEventSelectors=advanced)
    else:
        ct.put_event_selectors(TrailName=name, EventSelectors=selectors or ALL_MANAGEMENT)
    if logging:
        ct.start_logging(Name=name)
    return arn


def alarm_chain(
    aws: boto3.Session,
    pattern: str,
    *,
    log_group: str = "cloudtrail",
    metric: str = "cis_metric",
    region: str = REGION,
    alarm: bool = True,
    subscribe: bool = True,
    actions_enabled: bool = True,
) -> str:
    """Log group + metric filter + (alarm -> SNS topic -> subscription); returns the topic."""
    logs = aws.client("logs", region_name=region)
    if log_group not in {g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]}:
        logs.create_log_group(logGroupName=log_group)
    logs.put_metric_filter(
        logGroupName=log_group,
        filterName=metric,
        filterPattern=pattern,
        metricTransformations=[
            {"metricName": metric, "metricNamespace": "CISBenchmark", "metricValue": "1"}
        ],
    )
    sns = aws.client("sns", region_name=region)
    topic = str(sns.create_topic(Name="security-alerts")["TopicArn"])
    if subscribe:
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="secops@example.com")
    if alarm:
        aws.client("cloudwatch", region_name=region).put_metric_alarm(
            AlarmName=f"{metric}_alarm",
            MetricName=metric,
            Namespace="CISBenchmark",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            ActionsEnabled=actions_enabled,
            AlarmActions=[topic],
        )
    return topic


def recorder(
    aws: boto3.Session,
    region: str,
    *,
    all_supported: bool = True,
    include_global: bool = False,
    start: bool = True,
) -> None:
    """A configuration recorder (and the delivery channel starting it needs)."""
    config = aws.client("config", region_name=region)
    group: dict[str, Any] = {"allSupported": all_supported}
    if all_supported:
        group["includeGlobalResourceTypes"] = include_global
    else:
        group["resourceTypes"] = ["AWS::EC2::Instance", "AWS::S3::Bucket"]
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{ACCOUNT}:role/aws-config",
            "recordingGroup": group,
        }
    )
    aws.client("s3", region_name=REGION).create_bucket(Bucket=f"config-{region}")
    config.put_delivery_channel(
        DeliveryChannel={"name": "default", "s3BucketName": f"config-{region}"}
    )
    if start:
        config.start_configuration_recorder(ConfigurationRecorderName="default")
