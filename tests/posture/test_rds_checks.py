"""RDS checks (CIS 2.3.1-2.3.3 and public snapshots) on moto-seeded instances and snapshots."""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from mamori.model import CollectionError, ErrorKind
from mamori.posture.check import Result, Verdict, checks
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.storage_seed import rds_instance, subnet_group


def verdicts(target: Target, check_id: str) -> dict[str, Verdict]:
    cls = checks.get(check_id)
    inv = collect([target], regions=[REGION], types=cls.metadata.requires)
    results: list[Result] = list(cls().run(inv))
    return {r.resource.id: r.verdict for r in results if r.resource is not None}


def test_encryption_and_minor_upgrades(aws: boto3.Session, target: Target) -> None:
    rds_instance(aws, "good", StorageEncrypted=True, AutoMinorVersionUpgrade=True)
    rds_instance(aws, "bad", StorageEncrypted=False, AutoMinorVersionUpgrade=False)
    for check_id in (
        "rds_instance_storage_encrypted",
        "rds_instance_minor_version_upgrade_enabled",
    ):
        assert verdicts(target, check_id) == {"good": Verdict.PASS, "bad": Verdict.FAIL}, check_id


def test_public_access_needs_the_flag_and_a_route_to_the_internet(
    aws: boto3.Session, target: Target
) -> None:
    subnet_group(aws, "public-subnets", public=True)
    subnet_group(aws, "private-subnets", public=False)
    rds_instance(aws, "private", PubliclyAccessible=False, DBSubnetGroupName="public-subnets")
    rds_instance(aws, "exposed", PubliclyAccessible=True, DBSubnetGroupName="public-subnets")
    rds_instance(aws, "flag-only", PubliclyAccessible=True, DBSubnetGroupName="private-subnets")
    rds_instance(aws, "no-group", PubliclyAccessible=True)  # moto: no subnet group at all
    check_id = "rds_instance_not_publicly_accessible"

    assert verdicts(target, check_id) == {
        "private": Verdict.PASS,
        "exposed": Verdict.FAIL,
        "flag-only": Verdict.PASS,
        "no-group": Verdict.FAIL,
    }
    # Without the route tables, a flagged instance in a subnet group cannot be judged.
    cls = checks.get(check_id)
    inv = collect([target], regions=[REGION], types=cls.metadata.requires)
    error = CollectionError(
        type="aws.ec2.route_table",
        account=ACCOUNT,
        region=REGION,
        kind=ErrorKind.ACCESS_DENIED,
        message="UnauthorizedOperation: DescribeRouteTables",
    )
    blind = inv.model_copy(
        update={
            "resources": tuple(r for r in inv.resources if r.type != "aws.ec2.route_table"),
            "errors": (error,),
        }
    )
    found = {r.resource.id: r.verdict for r in cls().run(blind) if r.resource is not None}
    assert found == {
        "private": Verdict.PASS,
        "exposed": Verdict.MANUAL,
        "flag-only": Verdict.MANUAL,
        "no-group": Verdict.FAIL,
    }


def test_public_db_and_cluster_snapshots(aws: boto3.Session, target: Target) -> None:
    rds = aws.client("rds")
    rds_instance(aws, "db1")
    for name in ("public", "shared", "private"):
        rds.create_db_snapshot(DBInstanceIdentifier="db1", DBSnapshotIdentifier=name)
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="public", AttributeName="restore", ValuesToAdd=["all"]
    )
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="shared", AttributeName="restore", ValuesToAdd=["210987654321"]
    )
    rds.create_db_cluster(
        DBClusterIdentifier="c1",
        Engine="aurora-postgresql",
        MasterUsername="admin_user",
        MasterUserPassword="not-a-real-password-1",
    )
    rds.create_db_cluster_snapshot(DBClusterIdentifier="c1", DBClusterSnapshotIdentifier="c-public")
    rds.modify_db_cluster_snapshot_attribute(
        DBClusterSnapshotIdentifier="c-public", AttributeName="restore", ValuesToAdd=["all"]
    )

    found = verdicts(target, "rds_snapshot_not_public")

    automated = {i for i in found if i.startswith("rds:")}  # moto's automated snapshots
    assert automated and {found[i] for i in automated} == {Verdict.PASS}
    assert {i: v for i, v in found.items() if i not in automated} == {
        "public": Verdict.FAIL,
        "shared": Verdict.PASS,
        "private": Verdict.PASS,
        "c-public": Verdict.FAIL,
    }
