"""Account-wide part: CloudTrail, the CIS monitoring section, Config, Security Hub,
Access Analyzer and EBS default encryption.

Trails: trail-main (home region, multi-region, log validation, KMS, bucket access
logging, CloudWatch Logs, S3 write data events), trail-eu (single region, none of those),
trail-usw2 (validation and bucket logging, no KMS). Monitoring: the CIS filter and an
alarm for 4.1, 4.3, 4.5, 4.7, 4.9, 4.11, 4.13, 4.15; for the others either nothing, a
filter without an alarm (4.4, 4.8) or an alarm on an incomplete filter (4.12).
Per region: Config recording, Security Hub and EBS default encryption in the home region only.
"""

from __future__ import annotations

import json
from typing import Any

from _aws_moto import ACCOUNT, HOME, REGIONS
from _aws_seed import Clients, Truth
from _aws_seed_data import make_bucket
from _cis_patterns import PATTERNS

LOG_GROUP = "/bench/cloudtrail"
LOG_DELIVERY = 'uri="http://acs.amazonaws.com/groups/s3/LogDelivery"'
PASSING = {"4.1", "4.3", "4.5", "4.7", "4.9", "4.11", "4.13", "4.15"}
FILTER_ONLY = {"4.4", "4.8"}


def _trail_buckets(aws: Clients, truth: Truth) -> None:
    for name, region, good, logged in (
        ("trail-main", HOME, True, True),
        ("trail-eu", "eu-west-1", False, False),
        ("trail-usw2", "us-west-2", True, True),
    ):
        s3 = aws("s3", region)
        make_bucket(s3, f"{name}-logs", region, truth, pab=good, tls=good)
        if logged:  # server access logs go to a bucket in the same region
            target = f"bench-access-logs-{region}"
            make_bucket(s3, target, region, truth, pab=True, tls=True)
            s3.put_bucket_acl(Bucket=target, GrantWrite=LOG_DELIVERY, GrantReadACP=LOG_DELIVERY)
            s3.put_bucket_logging(
                Bucket=f"{name}-logs",
                BucketLoggingStatus={
                    "LoggingEnabled": {"TargetBucket": target, "TargetPrefix": ""}
                },
            )


def _trails(aws: Clients, truth: Truth) -> None:
    _trail_buckets(aws, truth)
    key = aws("kms").create_key(Description="cloudtrail")["KeyMetadata"]["Arn"]
    aws("kms").enable_key_rotation(KeyId=key)
    truth.put("3.6", key.rsplit("/", 1)[1], True)
    truth.count("kms_key")
    aws("logs").create_log_group(logGroupName=LOG_GROUP)
    role = aws("iam").create_role(
        RoleName="cloudtrail-to-logs",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    truth.count("iam_role")
    truth.count("log_group")
    group_arn = f"arn:aws:logs:{HOME}:{ACCOUNT}:log-group:{LOG_GROUP}:*"
    specs: list[tuple[str, str, dict[str, Any]]] = [
        (
            "trail-main",
            HOME,
            {
                "IsMultiRegionTrail": True,
                "EnableLogFileValidation": True,
                "KmsKeyId": key,
                "CloudWatchLogsLogGroupArn": group_arn,
                "CloudWatchLogsRoleArn": role,
            },
        ),
        ("trail-eu", "eu-west-1", {}),
        ("trail-usw2", "us-west-2", {"EnableLogFileValidation": True}),
    ]
    for name, region, extra in specs:
        ct = aws("cloudtrail", region)
        ct.create_trail(Name=name, S3BucketName=f"{name}-logs", **extra)
        ct.start_logging(Name=name)
        truth.put("3.2", name, "EnableLogFileValidation" in extra)
        truth.put("3.4", name, name != "trail-eu")
        truth.put("3.5", name, "KmsKeyId" in extra)
        truth.count("cloudtrail_trail")
    aws("cloudtrail").put_event_selectors(
        TrailName="trail-main",
        EventSelectors=[
            # all management events (3.1), and S3 object-level writes but not reads (3.8/3.9)
            {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []},
            {
                "ReadWriteType": "WriteOnly",
                "IncludeManagementEvents": False,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            },
        ],
    )
    truth.put("3.1", "account", True)
    truth.put("3.8", "account", True)
    truth.put("3.9", "account", False)


def _monitoring(aws: Clients, truth: Truth) -> None:
    logs, cw = aws("logs"), aws("cloudwatch")
    topic = aws("sns").create_topic(Name="cis-alarms")["TopicArn"]
    aws("sns").subscribe(TopicArn=topic, Protocol="email", Endpoint="secops@example.com")
    truth.count("sns_topic")
    for control, pattern in PATTERNS.items():
        metric = f"cis-{control.replace('.', '-')}"
        if control == "4.12":  # one event name short of the CIS pattern: not compliant
            pattern = pattern.replace("($.eventName = DeleteCustomerGateway) || ", "")
        elif control not in PASSING | FILTER_ONLY:
            truth.put(control, "account", False)
            continue
        logs.put_metric_filter(
            logGroupName=LOG_GROUP,
            filterName=metric,
            filterPattern=pattern,
            metricTransformations=[
                {"metricName": metric, "metricNamespace": "CISBenchmark", "metricValue": "1"}
            ],
        )
        truth.count("log_metric_filter")
        if control not in FILTER_ONLY:
            cw.put_metric_alarm(
                AlarmName=metric,
                MetricName=metric,
                Namespace="CISBenchmark",
                Statistic="Sum",
                Period=300,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
                AlarmActions=[topic],
            )
            truth.count("cloudwatch_alarm")
        truth.put(control, "account", control in PASSING)


def _regional(aws: Clients, truth: Truth) -> None:
    # account-wide S3 Block Public Access, partial: each bucket's own settings decide 2.1.4
    aws("s3control").put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    truth.put("2.1.4", "account", False, required=False)
    recorder = {"allSupported": True, "includeGlobalResourceTypes": True}
    make_bucket(aws("s3"), "bench-config", HOME, truth, pab=True, tls=True)
    for region in REGIONS:
        home = region == HOME
        if region != "us-west-2":  # eu-west-1: a recorder that is not recording
            cfg = aws("config", region)
            cfg.put_configuration_recorder(
                ConfigurationRecorder={
                    "name": "default",
                    "roleARN": f"arn:aws:iam::{ACCOUNT}:role/role-00002",
                    "recordingGroup": recorder,
                }
            )
            cfg.put_delivery_channel(
                DeliveryChannel={"name": "default", "s3BucketName": "bench-config"}
            )
            if home:
                cfg.start_configuration_recorder(ConfigurationRecorderName="default")
            truth.count("config_recorder")
        truth.put("3.3", region, home)
        if home:
            aws("ec2", region).enable_ebs_encryption_by_default()
            aws("securityhub", region).enable_security_hub()
            truth.count("securityhub_hub")
        truth.put("2.2.1", region, home)
        truth.put("4.16", region, home)
        truth.put("1.20", region, _analyzer(aws, region) if home else False)


def _analyzer(aws: Clients, region: str) -> bool:
    """moto has no Access Analyzer: try anyway, so a moto that gains one is used."""
    try:
        aws("accessanalyzer", region).create_analyzer(analyzerName="bench", type="ACCOUNT")
    except Exception:
        return False
    return True


def seed_account(aws: Clients, truth: Truth) -> None:
    _trails(aws, truth)
    _monitoring(aws, truth)
    _regional(aws, truth)
