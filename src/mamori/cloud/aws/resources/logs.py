"""CloudWatch Logs metric filters, per region: which log group, which pattern, which metric.

`aws.logs.metric_filter`, one resource per filter, id = "<log group>:<filter name>" (log
group names cannot contain ":"); metric filters have no ARN. Attributes:

    filter_name                        str
    log_group_name                     str
    filter_pattern                     str (CloudWatch Logs filter pattern syntax, as written)
    metric_transformations             [{"metric_name", "metric_namespace", "metric_value",
                                         "default_value": float | None, "unit": str | None}]
    created                            ISO-8601 UTC | None

The CIS monitoring checks join these to the log group of a multi-region trail, then to
alarms on the metric (`aws.cloudwatch.alarm`) and their SNS topics (`aws.sns.subscription`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._subcalls import iso
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource


@resource_type(
    "aws.logs.metric_filter",
    service="logs",
    calls=("DescribeMetricFilters",),
    id_field="logGroupName:filterName",
)
def metric_filters(ctx: AwsContext) -> Iterator[CloudResource]:
    for found in paginate(ctx.client("logs"), "describe_metric_filters", "metricFilters"):
        group, name = str(found.get("logGroupName", "")), str(found.get("filterName", ""))
        yield ctx.resource(
            "aws.logs.metric_filter",
            f"{group}:{name}",
            name=name,
            attributes={
                "filter_name": name,
                "log_group_name": group,
                "filter_pattern": str(found.get("filterPattern", "")),
                "metric_transformations": [
                    _transformation(t) for t in found.get("metricTransformations") or []
                ],
                "created": iso(found.get("creationTime")),
            },
        )


def _transformation(item: dict[str, Any]) -> dict[str, Any]:
    default = item.get("defaultValue")
    return {
        "metric_name": str(item.get("metricName", "")),
        "metric_namespace": str(item.get("metricNamespace", "")),
        "metric_value": str(item.get("metricValue", "")),
        "default_value": None if default is None else float(default),
        "unit": item.get("unit") or None,
    }
