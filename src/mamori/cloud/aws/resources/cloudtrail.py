"""CloudTrail trails: settings, logging status, event selectors, the log bucket's logging.

`aws.cloudtrail.trail`, one resource per trail, reported once in its home region
(id = arn = the trail ARN). A multi-region trail is listed by DescribeTrails in every
region as a "shadow" of itself; each region keeps only the trails whose HomeRegion it
is, which also keeps an organization trail seen from a member account (its ARN then
names the management account). Attributes:

    home_region                        str
    is_multi_region                    bool
    is_organization_trail              bool
    include_global_service_events      bool
    log_file_validation_enabled        bool
    kms_key_id                         str | None (None: SSE-S3, no KMS key)
    s3_bucket_name, s3_key_prefix      str | None
    sns_topic_arn                      str | None
    cloudwatch_logs_log_group_arn      str | None (arn:aws:logs:<region>:<acct>:log-group:<name>:*)
    cloudwatch_logs_role_arn           str | None
    status                             {"is_logging": bool, "latest_delivery_time",
                                        "latest_delivery_error",
                                        "latest_cloudwatch_logs_delivery_time",
                                        "latest_cloudwatch_logs_delivery_error",
                                        "start_logging_time", "stop_logging_time"}
                                       (times ISO-8601 UTC or None) | None
    event_selectors                    [{"read_write_type": "All"|"ReadOnly"|"WriteOnly",
                                         "include_management_events": bool,
                                         "exclude_management_event_sources": [str],
                                         "data_resources": [{"type", "values": [str]}]}] | None
    advanced_event_selectors           [{"name", "field_selectors": [{"field", "equals",
                                         "starts_with", "ends_with", "not_equals",
                                         "not_starts_with", "not_ends_with"}]}] | None
                                       (only the operators present appear)
    s3_bucket_logging                  {"enabled": bool, "target_bucket": str | None,
                                        "target_prefix": str | None} | None
    errors                             {API operation: "Code: message"} for the per-trail
                                       calls that failed; their attribute is then None

A trail has either classic or advanced selectors; the other list is empty. The bucket
often lives in a central logging account, where GetBucketLogging is denied: that is
recorded in `errors`, not guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext
from mamori.cloud.aws.resources._subcalls import attempt, iso
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource

_OPERATORS = {
    "Equals": "equals",
    "StartsWith": "starts_with",
    "EndsWith": "ends_with",
    "NotEquals": "not_equals",
    "NotStartsWith": "not_starts_with",
    "NotEndsWith": "not_ends_with",
}


@resource_type(
    "aws.cloudtrail.trail",
    service="cloudtrail",
    calls=("DescribeTrails", "GetTrailStatus", "GetEventSelectors", "s3:GetBucketLogging"),
    permissions=(
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "s3:GetBucketLogging",
    ),
    id_field="TrailARN",
)
def trails(ctx: AwsContext) -> Iterator[CloudResource]:
    client = ctx.client("cloudtrail")
    # Not paginated: DescribeTrails returns every trail visible in the region at once.
    for trail in client.describe_trails(includeShadowTrails=True).get("trailList", []):
        if trail.get("HomeRegion", ctx.region) == ctx.region:
            yield _trail(ctx, client, trail)


def _trail(ctx: AwsContext, client: Any, trail: dict[str, Any]) -> CloudResource:
    arn = str(trail["TrailARN"])
    errors: dict[str, str] = {}
    status = attempt(errors, "GetTrailStatus", lambda: client.get_trail_status(Name=arn))
    selectors = attempt(
        errors, "GetEventSelectors", lambda: client.get_event_selectors(TrailName=arn)
    )
    bucket = trail.get("S3BucketName") or None
    logging = None
    if bucket:
        found = attempt(
            errors, "GetBucketLogging", lambda: ctx.client("s3").get_bucket_logging(Bucket=bucket)
        )
        if found is not None:
            enabled = found.get("LoggingEnabled") or {}
            logging = {
                "enabled": bool(enabled.get("TargetBucket")),
                "target_bucket": enabled.get("TargetBucket"),
                "target_prefix": enabled.get("TargetPrefix"),
            }
    attributes: dict[str, Any] = {
        "home_region": trail.get("HomeRegion", ctx.region),
        "is_multi_region": bool(trail.get("IsMultiRegionTrail")),
        "is_organization_trail": bool(trail.get("IsOrganizationTrail")),
        "include_global_service_events": bool(trail.get("IncludeGlobalServiceEvents")),
        "log_file_validation_enabled": bool(trail.get("LogFileValidationEnabled")),
        "kms_key_id": trail.get("KmsKeyId") or None,
        "s3_bucket_name": bucket,
        "s3_key_prefix": trail.get("S3KeyPrefix") or None,
        "sns_topic_arn": trail.get("SnsTopicARN") or None,
        "cloudwatch_logs_log_group_arn": trail.get("CloudWatchLogsLogGroupArn") or None,
        "cloudwatch_logs_role_arn": trail.get("CloudWatchLogsRoleArn") or None,
        "status": None if status is None else _status(status),
        "event_selectors": None,
        "advanced_event_selectors": None,
        "s3_bucket_logging": logging,
        "errors": errors,
    }
    if selectors is not None:
        attributes["event_selectors"] = [_classic(s) for s in selectors.get("EventSelectors") or []]
        attributes["advanced_event_selectors"] = [
            _advanced(s) for s in selectors.get("AdvancedEventSelectors") or []
        ]
    return ctx.resource(
        "aws.cloudtrail.trail",
        arn,
        name=str(trail.get("Name", arn)),
        arn=arn,
        attributes=attributes,
    )


def _status(status: dict[str, Any]) -> dict[str, Any]:
    return {
        "is_logging": bool(status.get("IsLogging")),
        "latest_delivery_time": iso(status.get("LatestDeliveryTime")),
        "latest_delivery_error": status.get("LatestDeliveryError") or None,
        "latest_cloudwatch_logs_delivery_time": iso(status.get("LatestCloudWatchLogsDeliveryTime")),
        "latest_cloudwatch_logs_delivery_error": status.get("LatestCloudWatchLogsDeliveryError")
        or None,
        "start_logging_time": iso(status.get("StartLoggingTime")),
        "stop_logging_time": iso(status.get("StopLoggingTime")),
    }


def _classic(selector: dict[str, Any]) -> dict[str, Any]:
    return {
        "read_write_type": str(selector.get("ReadWriteType", "All")),
        "include_management_events": bool(selector.get("IncludeManagementEvents", True)),
        "exclude_management_event_sources": [
            str(s) for s in selector.get("ExcludeManagementEventSources") or []
        ],
        "data_resources": [
            {"type": str(d.get("Type", "")), "values": [str(v) for v in d.get("Values") or []]}
            for d in selector.get("DataResources") or []
        ],
    }


def _advanced(selector: dict[str, Any]) -> dict[str, Any]:
    fields = []
    for field in selector.get("FieldSelectors") or []:
        entry: dict[str, Any] = {"field": str(field.get("Field", ""))}
        for key, name in _OPERATORS.items():
            if key in field:
                entry[name] = [str(v) for v in field[key]]
        fields.append(entry)
    return {"name": str(selector.get("Name", "")), "field_selectors": fields}
