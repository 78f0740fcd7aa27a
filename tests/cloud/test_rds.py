"""RDS collectors against moto: instances, DB snapshots and cluster snapshots.

Oracle: the seeding, and DescribeDB* answers read here directly for what moto invents.
moto does not enforce that automated snapshots cannot be shared; the collector does
not ask AWS about them (AWS refuses to share them), so they always read as private.
"""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.storage_seed import rds_instance, subnet_group


def test_instances(aws: boto3.Session, target: Target) -> None:
    rds_instance(
        aws,
        "db-open",
        StorageEncrypted=False,
        PubliclyAccessible=True,
        AutoMinorVersionUpgrade=False,
    )
    subnet_group(aws, "private-subnets", public=False)
    rds_instance(
        aws,
        "db-closed",
        DBSubnetGroupName="private-subnets",
        StorageEncrypted=True,
        PubliclyAccessible=False,
        AutoMinorVersionUpgrade=True,
    )
    inv = collect([target], regions=[REGION], types=["aws.rds.instance"])

    assert not inv.errors
    found = {r.id: r for r in inv.of_type("aws.rds.instance")}
    assert set(found) == {"db-open", "db-closed"}
    opened, closed = found["db-open"].attributes, found["db-closed"].attributes
    assert found["db-open"].arn == f"arn:aws:rds:{REGION}:{ACCOUNT}:db:db-open"
    flags = ("storage_encrypted", "publicly_accessible", "auto_minor_version_upgrade")
    assert [opened[f] for f in flags] == [False, True, False]
    assert [closed[f] for f in flags] == [True, False, True]
    direct = aws.client("rds").describe_db_instances(DBInstanceIdentifier="db-closed")
    db = direct["DBInstances"][0]
    assert closed["kms_key_id"] == db.get("KmsKeyId")
    assert closed["endpoint"] == {
        "address": db["Endpoint"]["Address"],
        "port": db["Endpoint"]["Port"],
    }
    assert (closed["engine"], closed["engine_version"]) == ("postgres", "15.4")
    group = db["DBSubnetGroup"]
    assert closed["vpc_id"] == group["VpcId"] and len(closed["subnet_ids"]) == 2
    assert closed["subnet_ids"] == sorted(s["SubnetIdentifier"] for s in group["Subnets"])
    assert opened["vpc_id"] is None and opened["subnet_ids"] == []  # no subnet group
    assert closed["security_group_ids"] == sorted(
        g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]
    )


def test_snapshots_and_who_may_restore_them(aws: boto3.Session, target: Target) -> None:
    rds = aws.client("rds")
    rds_instance(aws, "db1", StorageEncrypted=True)
    for name in ("snap-public", "snap-shared", "snap-private"):
        rds.create_db_snapshot(DBInstanceIdentifier="db1", DBSnapshotIdentifier=name)
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="snap-public", AttributeName="restore", ValuesToAdd=["all"]
    )
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="snap-shared", AttributeName="restore", ValuesToAdd=["210987654321"]
    )
    rds.create_db_cluster(
        DBClusterIdentifier="c1",
        Engine="aurora-postgresql",
        MasterUsername="admin_user",
        MasterUserPassword="not-a-real-password-1",
    )
    for name in ("csnap-public", "csnap-private"):
        rds.create_db_cluster_snapshot(DBClusterIdentifier="c1", DBClusterSnapshotIdentifier=name)
    rds.modify_db_cluster_snapshot_attribute(
        DBClusterSnapshotIdentifier="csnap-public", AttributeName="restore", ValuesToAdd=["all"]
    )

    types = ["aws.rds.snapshot", "aws.rds.cluster_snapshot"]
    inv = collect([target], regions=[REGION], types=types)

    assert not inv.errors
    db_snaps = {r.id: r.attributes for r in inv.of_type("aws.rds.snapshot")}
    automated = [
        s["DBSnapshotIdentifier"]
        for s in rds.describe_db_snapshots(SnapshotType="automated")["DBSnapshots"]
    ]
    assert set(db_snaps) == {"snap-public", "snap-shared", "snap-private", *automated}
    view = {i: (a["snapshot_type"], a["public"], a["shared_with"]) for i, a in db_snaps.items()}
    assert view == {
        "snap-public": ("manual", True, []),
        "snap-shared": ("manual", False, ["210987654321"]),
        "snap-private": ("manual", False, []),
        **{i: ("automated", False, []) for i in automated},
    }
    assert db_snaps["snap-public"]["source_id"] == "db1" and db_snaps["snap-public"]["encrypted"]
    clusters = {r.id: r for r in inv.of_type("aws.rds.cluster_snapshot")}
    manual = {i: r.attributes["public"] for i, r in clusters.items() if not i.startswith("rds:")}
    assert manual == {"csnap-public": True, "csnap-private": False}
    assert clusters["csnap-public"].arn == (
        f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster-snapshot:csnap-public"
    )
    assert clusters["csnap-public"].attributes["source_id"] == "c1"
