"""CloudWatch metric alarms, per region: the metric watched and the actions taken.

`aws.cloudwatch.alarm`, one resource per metric alarm (id = alarm name, arn = AlarmArn).
Composite alarms watch other alarms, not metrics, and are not collected. Attributes:

    metric_name, namespace             str | None (None for metric-math alarms)
    statistic, extended_statistic      str | None
    dimensions                         [{"name", "value"}]
    period, evaluation_periods         int | None
    threshold                          float | None
    comparison_operator                str | None
    metrics                            [{"id", "metric_name", "namespace", "expression",
                                         "return_data": bool}] (metric-math alarms)
    actions_enabled                    bool
    alarm_actions, ok_actions, insufficient_data_actions   [ARN str]
    state_value                        "OK" | "ALARM" | "INSUFFICIENT_DATA"
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource


@resource_type(
    "aws.cloudwatch.alarm", service="cloudwatch", calls=("DescribeAlarms",), id_field="AlarmName"
)
def alarms(ctx: AwsContext) -> Iterator[CloudResource]:
    for alarm in paginate(ctx.client("cloudwatch"), "describe_alarms", "MetricAlarms"):
        name = str(alarm["AlarmName"])
        threshold = alarm.get("Threshold")
        yield ctx.resource(
            "aws.cloudwatch.alarm",
            name,
            arn=alarm.get("AlarmArn") or None,
            attributes={
                "metric_name": alarm.get("MetricName") or None,
                "namespace": alarm.get("Namespace") or None,
                "statistic": alarm.get("Statistic") or None,
                "extended_statistic": alarm.get("ExtendedStatistic") or None,
                "dimensions": [
                    {"name": str(d.get("Name", "")), "value": str(d.get("Value", ""))}
                    for d in alarm.get("Dimensions") or []
                ],
                "period": alarm.get("Period"),
                "evaluation_periods": alarm.get("EvaluationPeriods"),
                "threshold": None if threshold is None else float(threshold),
                "comparison_operator": alarm.get("ComparisonOperator") or None,
                "metrics": [_query(q) for q in alarm.get("Metrics") or []],
                "actions_enabled": bool(alarm.get("ActionsEnabled", True)),
                "alarm_actions": [str(a) for a in alarm.get("AlarmActions") or []],
                "ok_actions": [str(a) for a in alarm.get("OKActions") or []],
                "insufficient_data_actions": [
                    str(a) for a in alarm.get("InsufficientDataActions") or []
                ],
                "state_value": alarm.get("StateValue") or None,
            },
        )


def _query(query: dict[str, Any]) -> dict[str, Any]:
    metric = (query.get("MetricStat") or {}).get("Metric") or {}
    return {
        "id": str(query.get("Id", "")),
        "metric_name": metric.get("MetricName") or None,
        "namespace": metric.get("Namespace") or None,
        "expression": query.get("Expression") or None,
        "return_data": bool(query.get("ReturnData", True)),
    }
