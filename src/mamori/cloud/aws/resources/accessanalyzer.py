"""IAM Access Analyzer analyzers, per region.

`aws.accessanalyzer.analyzer`, id = analyzer name, arn = analyzer ARN. Attributes:

    type                              ACCOUNT | ORGANIZATION | ACCOUNT_UNUSED_ACCESS | ...
    status                            ACTIVE | CREATING | DISABLED | FAILED
    status_reason                     str | None (statusReason.code)
    created, last_resource_analyzed_at ISO-8601 UTC | None
    last_resource_analyzed            ARN | None
    tags                              {key: value}

A region with no analyzer yields no resource (that absence is what CIS 1.20 judges).
"""

from __future__ import annotations

from collections.abc import Iterator

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._iam import iso
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource


@resource_type(
    "aws.accessanalyzer.analyzer",
    service="accessanalyzer",
    calls=("ListAnalyzers",),
    permissions=("access-analyzer:ListAnalyzers",),
    id_field="name",
)
def analyzers(ctx: AwsContext) -> Iterator[CloudResource]:
    client = ctx.client("accessanalyzer")
    for analyzer in paginate(client, "list_analyzers", "analyzers"):
        yield ctx.resource(
            "aws.accessanalyzer.analyzer",
            str(analyzer["name"]),
            arn=str(analyzer["arn"]),
            attributes={
                "type": analyzer.get("type"),
                "status": analyzer.get("status"),
                "status_reason": (analyzer.get("statusReason") or {}).get("code"),
                "created": iso(analyzer.get("createdAt")),
                "last_resource_analyzed": analyzer.get("lastResourceAnalyzed"),
                "last_resource_analyzed_at": iso(analyzer.get("lastResourceAnalyzedAt")),
                "tags": {str(k): str(v) for k, v in (analyzer.get("tags") or {}).items()},
            },
        )
