"""GuardDuty detectors, per region, and whether they are enabled.

`aws.guardduty.detector`, one resource per detector (id = detector id, arn built as
arn:<partition>:guardduty:<region>:<account>:detector/<id>). A region without a detector
yields nothing. Attributes:

    status                             "ENABLED" | "DISABLED" | None (None: GetDetector failed)
    finding_publishing_frequency       str | None
    service_role                       str | None
    created, updated                   ISO-8601 str | None (as GuardDuty reports them)
    features                           [{"name", "status"}] (S3 logs, EKS audit logs, ...)
    errors                             {API operation: "Code: message"}
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._subcalls import attempt
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource


@resource_type(
    "aws.guardduty.detector",
    service="guardduty",
    calls=("ListDetectors", "GetDetector"),
    id_field="DetectorId",
)
def detectors(ctx: AwsContext) -> Iterator[CloudResource]:
    client = ctx.client("guardduty")
    for detector_id in paginate(client, "list_detectors", "DetectorIds"):
        errors: dict[str, str] = {}
        found = attempt(errors, "GetDetector", partial(client.get_detector, DetectorId=detector_id))
        detail = found or {}
        yield ctx.resource(
            "aws.guardduty.detector",
            str(detector_id),
            arn=ctx.arn("guardduty", f"detector/{detector_id}", region=ctx.region),
            attributes={
                "status": detail.get("Status") if found is not None else None,
                "finding_publishing_frequency": detail.get("FindingPublishingFrequency"),
                "service_role": detail.get("ServiceRole"),
                "created": detail.get("CreatedAt"),
                "updated": detail.get("UpdatedAt"),
                "features": [
                    {"name": str(f.get("Name", "")), "status": str(f.get("Status", ""))}
                    for f in detail.get("Features") or []
                ],
                "errors": errors,
            },
        )
