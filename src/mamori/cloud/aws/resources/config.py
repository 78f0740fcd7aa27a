"""AWS Config configuration recorders, per region, with what they record and their status.

`aws.config.recorder`, one resource per recorder (id = recorder name, arn when the API
gives one). A region without a recorder yields nothing: the checks compare against the
scanned regions. Attributes:

    role_arn                           str | None
    all_supported                      bool (records every supported resource type)
    include_global_resource_types      bool (IAM users, groups, roles, policies)
    resource_types                     [str] (the explicit list when not all_supported)
    exclusion_resource_types           [str] (EXCLUSION_BY_RESOURCE_TYPES strategy)
    recording_strategy                 str | None ("ALL_SUPPORTED_RESOURCE_TYPES", ...)
    recording_frequency                str | None ("CONTINUOUS" | "DAILY")
    recording                          bool | None (None: the status call failed)
    last_status                        str | None ("PENDING" | "SUCCESS" | "FAILURE")
    last_error_code, last_error_message  str | None
    last_status_change_time            ISO-8601 UTC | None
    errors                             {API operation: "Code: message"}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext
from mamori.cloud.aws.resources._subcalls import attempt, iso
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource


@resource_type(
    "aws.config.recorder",
    service="config",
    calls=("DescribeConfigurationRecorders", "DescribeConfigurationRecorderStatus"),
    id_field="name",
)
def recorders(ctx: AwsContext) -> Iterator[CloudResource]:
    client = ctx.client("config")
    found = client.describe_configuration_recorders().get("ConfigurationRecorders", [])
    if not found:
        return
    errors: dict[str, str] = {}
    statuses = attempt(
        errors,
        "DescribeConfigurationRecorderStatus",
        lambda: client.describe_configuration_recorder_status().get(
            "ConfigurationRecordersStatus", []
        ),
    )
    by_name = {str(s.get("name")): s for s in statuses or []}
    for recorder in found:
        name = str(recorder.get("name", "default"))
        attributes = _recorder(recorder)
        status = by_name.get(name)
        attributes.update(
            {
                "recording": None if status is None else bool(status.get("recording")),
                "last_status": _upper((status or {}).get("lastStatus")),
                "last_error_code": (status or {}).get("lastErrorCode") or None,
                "last_error_message": (status or {}).get("lastErrorMessage") or None,
                "last_status_change_time": iso((status or {}).get("lastStatusChangeTime")),
                "errors": dict(errors),
            }
        )
        if statuses is not None and status is None:
            attributes["errors"]["DescribeConfigurationRecorderStatus"] = "no status returned"
        yield ctx.resource(
            "aws.config.recorder", name, arn=recorder.get("arn") or None, attributes=attributes
        )


def _recorder(recorder: dict[str, Any]) -> dict[str, Any]:
    group = recorder.get("recordingGroup") or {}
    strategy = (group.get("recordingStrategy") or {}).get("useOnly")
    excluded = (group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or []
    return {
        "role_arn": recorder.get("roleARN") or None,
        "all_supported": bool(group.get("allSupported")),
        "include_global_resource_types": bool(group.get("includeGlobalResourceTypes", False)),
        "resource_types": [str(t) for t in group.get("resourceTypes") or []],
        "exclusion_resource_types": [str(t) for t in excluded],
        "recording_strategy": strategy or None,
        "recording_frequency": (recorder.get("recordingMode") or {}).get("recordingFrequency"),
    }


def _upper(value: Any) -> str | None:
    return str(value).upper() if value else None
