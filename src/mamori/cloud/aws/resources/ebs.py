"""EBS (the storage side of EC2): default encryption, volumes and snapshots, per region.

Kept apart from the compute collectors (instances, security groups) although the API is
EC2's, so each file stays about one concern.

`aws.ec2.ebs_encryption_default`, one per region (id: the region):

    enabled             bool   new volumes in this region are encrypted by default

`aws.ec2.volume` (id: the volume id; name: its Name tag, else the id):

    encrypted           bool
    kms_key_id          str | None
    size_gib            int
    volume_type         str    "gp3", "io2", ...
    state               str    "available", "in-use", ...
    availability_zone   str
    created             str | None   ISO-8601
    snapshot_id         str | None   the snapshot it was created from
    attachments         [{"instance_id": str, "device": str, "state": str,
                          "delete_on_termination": bool}]
    tags                {key: value}

`aws.ec2.snapshot`, the snapshots this account owns (id: the snapshot id):

    encrypted           bool
    kms_key_id          str | None
    volume_id           str | None
    volume_size_gib     int
    state               str
    created             str | None   ISO-8601
    description         str
    public              bool | None  createVolumePermission grants group "all"
    shared_with         [account id] accounts granted createVolumePermission
    tags                {key: value}
    errors              {"permissions": "Code: message"} when DescribeSnapshotAttribute
                        failed (public and shared_with are then None)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._common import attempt, each, iso, tags
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource

ENCRYPTION_DEFAULT = "aws.ec2.ebs_encryption_default"
VOLUME = "aws.ec2.volume"
SNAPSHOT = "aws.ec2.snapshot"


@resource_type(
    ENCRYPTION_DEFAULT,
    service="ec2",
    calls=("GetEbsEncryptionByDefault",),
)
def encryption_default(ctx: AwsContext) -> Iterator[CloudResource]:
    answer = ctx.client("ec2").get_ebs_encryption_by_default()
    yield ctx.resource(
        ENCRYPTION_DEFAULT,
        ctx.region,
        name=f"EBS default encryption in {ctx.region}",
        attributes={"enabled": bool(answer.get("EbsEncryptionByDefault", False))},
    )


def _name(item: dict[str, Any], fallback: str) -> str:
    return tags(item.get("Tags")).get("Name") or fallback


@resource_type(VOLUME, service="ec2", calls=("DescribeVolumes",), id_field="VolumeId")
def volumes(ctx: AwsContext) -> Iterator[CloudResource]:
    for volume in paginate(ctx.client("ec2"), "describe_volumes", "Volumes"):
        vid = str(volume["VolumeId"])
        attachments = [
            {
                "instance_id": str(a.get("InstanceId", "")),
                "device": str(a.get("Device", "")),
                "state": str(a.get("State", "")),
                "delete_on_termination": bool(a.get("DeleteOnTermination", False)),
            }
            for a in volume.get("Attachments", [])
        ]
        attributes: dict[str, Any] = {
            "encrypted": bool(volume.get("Encrypted", False)),
            "kms_key_id": volume.get("KmsKeyId"),
            "size_gib": int(volume.get("Size", 0)),
            "volume_type": str(volume.get("VolumeType", "")),
            "state": str(volume.get("State", "")),
            "availability_zone": str(volume.get("AvailabilityZone", "")),
            "created": iso(volume.get("CreateTime")),
            "snapshot_id": volume.get("SnapshotId") or None,
            "attachments": attachments,
            "tags": tags(volume.get("Tags")),
        }
        arn = ctx.arn("ec2", f"volume/{vid}", region=ctx.region)
        yield ctx.resource(VOLUME, vid, name=_name(volume, vid), arn=arn, attributes=attributes)


def _snapshot(ctx: AwsContext, snap: dict[str, Any]) -> CloudResource:
    sid = str(snap["SnapshotId"])
    errors: dict[str, str] = {}
    answer = attempt(
        errors,
        "permissions",
        lambda: ctx.client("ec2").describe_snapshot_attribute(
            SnapshotId=sid, Attribute="createVolumePermission"
        ),
    )
    grants = None if answer is None else answer.get("CreateVolumePermissions", [])
    attributes: dict[str, Any] = {
        "encrypted": bool(snap.get("Encrypted", False)),
        "kms_key_id": snap.get("KmsKeyId"),
        "volume_id": snap.get("VolumeId") or None,
        "volume_size_gib": int(snap.get("VolumeSize", 0)),
        "state": str(snap.get("State", "")),
        "created": iso(snap.get("StartTime")),
        "description": str(snap.get("Description", "")),
        "public": None if grants is None else any(g.get("Group") == "all" for g in grants),
        "shared_with": None
        if grants is None
        else sorted(str(g["UserId"]) for g in grants if g.get("UserId")),
        "tags": tags(snap.get("Tags")),
        "errors": errors,
    }
    # Snapshot ARNs carry no account: arn:aws:ec2:<region>::snapshot/<id>.
    arn = ctx.arn("ec2", f"snapshot/{sid}", region=ctx.region, account="")
    return ctx.resource(SNAPSHOT, sid, name=_name(snap, sid), arn=arn, attributes=attributes)


@resource_type(
    SNAPSHOT,
    service="ec2",
    calls=("DescribeSnapshots", "DescribeSnapshotAttribute"),
    id_field="SnapshotId",
)
def snapshots(ctx: AwsContext) -> Iterator[CloudResource]:
    listed = paginate(ctx.client("ec2"), "describe_snapshots", "Snapshots", OwnerIds=["self"])
    # OwnerIds=["self"] is the filter; the owner check below only guards against an
    # endpoint that ignores it (moto does), and costs nothing against AWS.
    owned = [s for s in listed if str(s.get("OwnerId", ctx.account)) == ctx.account]
    yield from each(lambda snap: _snapshot(ctx, snap), owned)
