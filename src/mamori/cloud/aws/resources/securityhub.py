"""Security Hub, per region: enabled or not, and which standards are on.

`aws.securityhub.hub`, exactly one resource per region (id "hub/default", arn the hub's
ARN, the same whether enabled or not so scans compare). DescribeHub answers
InvalidAccessException "not subscribed" where Security Hub is off: that is the fact
`enabled: false`, not a collection error. Attributes:

    enabled                            bool
    subscribed_at                      ISO-8601 UTC | None
    auto_enable_controls               bool | None
    control_finding_generator          str | None
    standards                          [{"arn", "subscription_arn", "status"}] | None
                                       (None: disabled, or GetEnabledStandards failed)
    errors                             {API operation: "Code: message"}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._subcalls import attempt, error_code, iso
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource


@resource_type(
    "aws.securityhub.hub",
    service="securityhub",
    calls=("DescribeHub", "GetEnabledStandards"),
    id_field="HubArn",
)
def hubs(ctx: AwsContext) -> Iterator[CloudResource]:
    client = ctx.client("securityhub")
    arn = ctx.arn("securityhub", "hub/default", region=ctx.region)
    try:
        hub: dict[str, Any] | None = client.describe_hub()
    except ClientError as exc:
        message = str(exc.response.get("Error", {}).get("Message", "")).lower()
        if error_code(exc) != "InvalidAccessException" or "not subscribed" not in message:
            raise
        hub = None
    errors: dict[str, str] = {}
    standards = None
    if hub is not None:
        found = attempt(
            errors,
            "GetEnabledStandards",
            lambda: paginate(client, "get_enabled_standards", "StandardsSubscriptions"),
        )
        standards = None if found is None else [_standard(s) for s in found]
    yield ctx.resource(
        "aws.securityhub.hub",
        "hub/default",
        name=f"securityhub {ctx.region}",
        arn=str((hub or {}).get("HubArn") or arn),
        attributes={
            "enabled": hub is not None,
            "subscribed_at": iso((hub or {}).get("SubscribedAt")),
            "auto_enable_controls": (hub or {}).get("AutoEnableControls"),
            "control_finding_generator": (hub or {}).get("ControlFindingGenerator"),
            "standards": standards,
            "errors": errors,
        },
    )


def _standard(item: dict[str, Any]) -> dict[str, str]:
    return {
        "arn": str(item.get("StandardsArn", "")),
        "subscription_arn": str(item.get("StandardsSubscriptionArn", "")),
        "status": str(item.get("StandardsStatus", "")),
    }
