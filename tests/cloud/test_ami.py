"""The AMI collector against moto: owned images only, with who may launch them."""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud.conftest import REGION
from tests.cloud.storage_seed import owned_image


def test_owned_images_and_launch_permissions(aws: boto3.Session, target: Target) -> None:
    ec2 = aws.client("ec2")
    public, shared, private = owned_image(aws), owned_image(aws), owned_image(aws)
    ec2.modify_image_attribute(ImageId=public, LaunchPermission={"Add": [{"Group": "all"}]})
    ec2.modify_image_attribute(
        ImageId=shared,
        LaunchPermission={"Add": [{"UserId": "210987654321"}, {"UserId": "111122223333"}]},
    )

    inv = collect([target], regions=[REGION], types=["aws.ec2.image"])

    assert not inv.errors
    found = {r.id: r for r in inv.of_type("aws.ec2.image")}
    assert set(found) == {public, shared, private}  # moto's stock AMIs are not ours
    assert found[public].arn == f"arn:aws:ec2:{REGION}::image/{public}"
    view = {i: (r.attributes["public"], r.attributes["shared_with"]) for i, r in found.items()}
    assert view == {
        public: (True, []),
        shared: (False, ["111122223333", "210987654321"]),
        private: (False, []),
    }
    described = ec2.describe_images(ImageIds=[private])["Images"][0]
    attrs = found[private].attributes
    assert attrs["snapshot_ids"] == sorted(
        m["Ebs"]["SnapshotId"] for m in described["BlockDeviceMappings"] if "Ebs" in m
    )
    assert (attrs["state"], attrs["architecture"]) == (
        described["State"],
        described["Architecture"],
    )
    assert attrs["shared_with_orgs"] == [] and attrs["errors"] == {}
