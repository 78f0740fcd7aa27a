"""The EFS collector against moto."""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud.conftest import ACCOUNT, REGION


def test_file_systems(aws: boto3.Session, target: Target) -> None:
    efs = aws.client("efs")
    key = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    sealed = efs.create_file_system(
        CreationToken="sealed",
        Encrypted=True,
        KmsKeyId=key,
        Tags=[{"Key": "Name", "Value": "home"}],
    )["FileSystemId"]
    plain = efs.create_file_system(CreationToken="plain", Encrypted=False)["FileSystemId"]

    inv = collect([target], regions=[REGION], types=["aws.efs.file_system"])

    assert not inv.errors
    found = {r.id: r for r in inv.of_type("aws.efs.file_system")}
    assert set(found) == {sealed, plain}
    home = found[sealed]
    assert home.name == "home" and home.attributes["tags"] == {"Name": "home"}
    assert home.arn == f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{sealed}"
    assert (home.attributes["encrypted"], home.attributes["kms_key_id"]) == (True, key)
    assert found[plain].attributes["encrypted"] is False
    assert found[plain].name == plain  # no Name: the id
