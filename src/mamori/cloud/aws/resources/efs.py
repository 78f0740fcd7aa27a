"""EFS file systems, per region.

`aws.efs.file_system` (id: FileSystemId; name: its Name, else the id; arn: FileSystemArn):

    encrypted           bool         encrypted at rest (fixed when the file system is made)
    kms_key_id          str | None
    lifecycle_state     str          "available", "creating", ...
    performance_mode    str
    throughput_mode     str
    mount_targets       int          how many mount targets it has
    size_bytes          int
    created             str | None   ISO-8601
    tags                {key: value}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._common import iso, tags
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource

FILE_SYSTEM = "aws.efs.file_system"


@resource_type(
    FILE_SYSTEM,
    service="efs",
    calls=("DescribeFileSystems",),
    permissions=("elasticfilesystem:DescribeFileSystems",),
    id_field="FileSystemId",
)
def file_systems(ctx: AwsContext) -> Iterator[CloudResource]:
    for fs in paginate(ctx.client("efs"), "describe_file_systems", "FileSystems"):
        fsid = str(fs["FileSystemId"])
        attributes: dict[str, Any] = {
            "encrypted": bool(fs.get("Encrypted", False)),
            "kms_key_id": fs.get("KmsKeyId"),
            "lifecycle_state": str(fs.get("LifeCycleState", "")),
            "performance_mode": str(fs.get("PerformanceMode", "")),
            "throughput_mode": str(fs.get("ThroughputMode", "")),
            "mount_targets": int(fs.get("NumberOfMountTargets", 0)),
            "size_bytes": int(fs.get("SizeInBytes", {}).get("Value", 0)),
            "created": iso(fs.get("CreationTime")),
            "tags": tags(fs.get("Tags")),
        }
        arn = fs.get("FileSystemArn") or ctx.arn(
            "elasticfilesystem", f"file-system/{fsid}", region=ctx.region
        )
        name = str(fs.get("Name") or fsid)
        yield ctx.resource(FILE_SYSTEM, fsid, name=name, arn=str(arn), attributes=attributes)
