"""EBS collectors against moto: default encryption per region, volumes, owned snapshots.

Oracle: the seeding, and direct EC2 calls for what moto invents (ids, the default key).
moto ignores DescribeSnapshots' OwnerIds filter and lists its ~1,300 stock public
snapshots too; the collector keeps only this account's, as AWS itself would return.
"""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.storage_seed import OTHER_REGION, owned_image


def test_encryption_by_default_is_one_resource_per_region(
    aws: boto3.Session, target: Target
) -> None:
    aws.client("ec2", region_name=OTHER_REGION).enable_ebs_encryption_by_default()
    types = ["aws.ec2.ebs_encryption_default"]
    inv = collect([target], regions=[REGION, OTHER_REGION], types=types)

    found = {(r.id, r.region): r.attributes for r in inv.of_type(types[0])}
    assert found == {
        (REGION, REGION): {"enabled": False},
        (OTHER_REGION, OTHER_REGION): {"enabled": True},
    }


def test_volumes(aws: boto3.Session, target: Target) -> None:
    ec2 = aws.client("ec2")
    plain = ec2.create_volume(
        AvailabilityZone=f"{REGION}a",
        Size=8,
        VolumeType="gp3",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "data"}]}],
    )["VolumeId"]
    sealed = ec2.create_volume(AvailabilityZone=f"{REGION}b", Size=16, Encrypted=True)
    instance = ec2.run_instances(ImageId=owned_image(aws), MinCount=1, MaxCount=1)
    instance_id = instance["Instances"][0]["InstanceId"]
    ec2.attach_volume(VolumeId=plain, InstanceId=instance_id, Device="/dev/sdf")

    inv = collect([target], regions=[REGION], types=["aws.ec2.volume"])

    assert not inv.errors
    found = {r.id: r for r in inv.of_type("aws.ec2.volume")}
    assert {plain, sealed["VolumeId"]} <= set(found)
    vol = found[plain]
    assert vol.name == "data"
    assert vol.arn == f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{plain}"
    assert vol.attributes["encrypted"] is False and vol.attributes["kms_key_id"] is None
    assert (vol.attributes["size_gib"], vol.attributes["volume_type"]) == (8, "gp3")
    assert vol.attributes["tags"] == {"Name": "data"}
    assert [(a["instance_id"], a["device"]) for a in vol.attributes["attachments"]] == [
        (instance_id, "/dev/sdf")
    ]
    enc = found[sealed["VolumeId"]].attributes
    assert enc["encrypted"] is True and enc["kms_key_id"] == sealed["KmsKeyId"]
    assert enc["availability_zone"] == f"{REGION}b" and enc["attachments"] == []


def test_owned_snapshots_and_who_may_use_them(aws: boto3.Session, target: Target) -> None:
    ec2 = aws.client("ec2")
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]
    public, shared, private = (
        ec2.create_snapshot(VolumeId=volume, Description=d)["SnapshotId"]
        for d in ("public", "shared", "private")
    )
    ec2.modify_snapshot_attribute(
        SnapshotId=public,
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )
    ec2.modify_snapshot_attribute(
        SnapshotId=shared,
        Attribute="createVolumePermission",
        OperationType="add",
        UserIds=["210987654321", "111122223333"],
    )

    inv = collect([target], regions=[REGION], types=["aws.ec2.snapshot"])

    found = {r.id: r for r in inv.of_type("aws.ec2.snapshot")}
    assert set(found) == {public, shared, private}  # none of moto's stock snapshots
    assert found[public].arn == f"arn:aws:ec2:{REGION}::snapshot/{public}"
    view = {
        r.attributes["description"]: (r.attributes["public"], r.attributes["shared_with"])
        for r in found.values()
    }
    assert view == {
        "public": (True, []),
        "shared": (False, ["111122223333", "210987654321"]),
        "private": (False, []),
    }
    assert all(r.attributes["volume_id"] == volume for r in found.values())
    assert all(r.attributes["errors"] == {} for r in found.values())
