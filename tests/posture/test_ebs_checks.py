"""EBS default encryption, public snapshot and public AMI checks on moto-seeded resources."""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from mamori.model import CollectionError, ErrorKind
from mamori.posture.check import Result, Verdict, checks
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.storage_seed import OTHER_REGION, owned_image


def run(target: Target, check_id: str, regions: list[str]) -> list[Result]:
    cls = checks.get(check_id)
    return list(cls().run(collect([target], regions=regions, types=cls.metadata.requires)))


def verdicts(results: list[Result]) -> dict[str, Verdict]:
    return {r.resource.id: r.verdict for r in results if r.resource is not None}


def test_default_encryption_per_region(aws: boto3.Session, target: Target) -> None:
    aws.client("ec2", region_name=OTHER_REGION).enable_ebs_encryption_by_default()
    check_id = "ec2_ebs_default_encryption"
    results = run(target, check_id, [REGION, OTHER_REGION])
    assert {(r.region, r.verdict) for r in results} == {
        (REGION, Verdict.FAIL),
        (OTHER_REGION, Verdict.PASS),
    }
    # A region that could not be read is MANUAL; the others are still judged.
    cls = checks.get(check_id)
    inv = collect([target], regions=[REGION], types=cls.metadata.requires)
    error = CollectionError(
        type="aws.ec2.ebs_encryption_default",
        account=ACCOUNT,
        region="ap-south-1",
        kind=ErrorKind.UNSUPPORTED,
        message="OptInRequired: region not enabled",
    )
    results = list(cls().run(inv.model_copy(update={"errors": (error,)})))
    assert {(r.region, r.verdict) for r in results} == {
        (REGION, Verdict.FAIL),
        ("ap-south-1", Verdict.MANUAL),
    }


def test_public_snapshots_and_images(aws: boto3.Session, target: Target) -> None:
    ec2 = aws.client("ec2")
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]
    public, shared, private = (ec2.create_snapshot(VolumeId=volume)["SnapshotId"] for _ in range(3))
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
        UserIds=["210987654321"],
    )
    open_image, closed_image = owned_image(aws), owned_image(aws)
    ec2.modify_image_attribute(ImageId=open_image, LaunchPermission={"Add": [{"Group": "all"}]})
    ec2.modify_image_attribute(
        ImageId=closed_image, LaunchPermission={"Add": [{"UserId": "210987654321"}]}
    )
    # create_image snapshots the instance's root volume: those are ours too, and private.
    image_snaps = {
        m["Ebs"]["SnapshotId"]
        for image in ec2.describe_images(ImageIds=[open_image, closed_image])["Images"]
        for m in image["BlockDeviceMappings"]
        if "Ebs" in m
    }

    snapshots = verdicts(run(target, "ec2_ebs_snapshot_not_public", [REGION]))
    images = verdicts(run(target, "ec2_ami_not_public", [REGION]))

    assert snapshots == {
        public: Verdict.FAIL,
        shared: Verdict.PASS,
        private: Verdict.PASS,
        **dict.fromkeys(image_snaps & set(snapshots), Verdict.PASS),
    }
    assert images == {open_image: Verdict.FAIL, closed_image: Verdict.PASS}


def test_every_volume_encrypted(aws: boto3.Session, target: Target) -> None:
    ec2 = aws.client("ec2")
    sealed = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8, Encrypted=True)["VolumeId"]
    plain = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]
    results = run(target, "ec2_ebs_volume_encrypted", [REGION])
    assert verdicts(results) == {sealed: Verdict.PASS, plain: Verdict.FAIL}
