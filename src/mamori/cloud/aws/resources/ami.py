"""AMIs this account owns, with who may launch them (EC2 API; kept beside ebs.py).

`aws.ec2.image` (id: the image id; name: the AMI name):

    public              bool         DescribeImages' own flag (launchable by everyone)
    shared_with         [account id] | None  accounts granted launchPermission
    shared_with_orgs    [arn] | None organizations and OUs granted launchPermission
    state               str          "available", "pending", ...
    created             str | None   ISO-8601
    description         str
    platform            str          "windows" or "" (Linux/UNIX)
    architecture        str
    root_device_type    str          "ebs" | "instance-store"
    encrypted           bool         every EBS block device mapping is encrypted
    snapshot_ids        [str]        the EBS snapshots behind it
    tags                {key: value}
    errors              {"permissions": "Code: message"} when DescribeImageAttribute
                        failed (shared_with and shared_with_orgs are then None)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._common import attempt, each, iso, tags
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource

IMAGE = "aws.ec2.image"


def _image(ctx: AwsContext, image: dict[str, Any]) -> CloudResource:
    iid = str(image["ImageId"])
    errors: dict[str, str] = {}
    answer = attempt(
        errors,
        "permissions",
        lambda: ctx.client("ec2").describe_image_attribute(
            ImageId=iid, Attribute="launchPermission"
        ),
    )
    grants = None if answer is None else answer.get("LaunchPermissions", [])
    ebs = [m["Ebs"] for m in image.get("BlockDeviceMappings", []) if "Ebs" in m]
    orgs = None
    if grants is not None:
        orgs = sorted(
            str(g.get("OrganizationArn") or g.get("OrganizationalUnitArn"))
            for g in grants
            if g.get("OrganizationArn") or g.get("OrganizationalUnitArn")
        )
    public = bool(image.get("Public", False))
    attributes: dict[str, Any] = {
        "public": public or any(g.get("Group") == "all" for g in grants or ()),
        "shared_with": None
        if grants is None
        else sorted(str(g["UserId"]) for g in grants if g.get("UserId")),
        "shared_with_orgs": orgs,
        "state": str(image.get("State", "")),
        "created": iso(image.get("CreationDate")),
        "description": str(image.get("Description", "")),
        "platform": str(image.get("Platform", "")),
        "architecture": str(image.get("Architecture", "")),
        "root_device_type": str(image.get("RootDeviceType", "")),
        "encrypted": bool(ebs) and all(bool(e.get("Encrypted", False)) for e in ebs),
        "snapshot_ids": sorted(str(e["SnapshotId"]) for e in ebs if e.get("SnapshotId")),
        "tags": tags(image.get("Tags")),
        "errors": errors,
    }
    arn = ctx.arn("ec2", f"image/{iid}", region=ctx.region, account="")
    name = str(image.get("Name") or iid)
    return ctx.resource(IMAGE, iid, name=name, arn=arn, attributes=attributes)


@resource_type(
    IMAGE,
    service="ec2",
    calls=("DescribeImages", "DescribeImageAttribute"),
    id_field="ImageId",
)
def images(ctx: AwsContext) -> Iterator[CloudResource]:
    listed = paginate(ctx.client("ec2"), "describe_images", "Images", Owners=["self"])
    yield from each(lambda image: _image(ctx, image), listed)
