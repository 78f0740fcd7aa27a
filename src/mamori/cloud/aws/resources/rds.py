"""RDS: DB instances, DB snapshots and DB cluster (Aurora) snapshots, per region.

`aws.rds.instance` (id: DBInstanceIdentifier; arn: DBInstanceArn):

    engine, engine_version, instance_class, status    str
    storage_encrypted             bool
    kms_key_id                    str | None
    auto_minor_version_upgrade    bool
    publicly_accessible           bool
    endpoint                      {"address": str, "port": int} | None
    multi_az, deletion_protection, iam_auth           bool
    backup_retention_days         int
    vpc_id                        str | None
    subnet_ids, security_group_ids                    [str]
    cluster_id                    str | None   the Aurora cluster it belongs to
    created                       str | None   ISO-8601

`aws.rds.snapshot` (id: DBSnapshotIdentifier) and `aws.rds.cluster_snapshot`
(id: DBClusterSnapshotIdentifier), the snapshots this account owns:

    source_id                     str          the DB instance or cluster snapshotted
    snapshot_type                 str          "manual", "automated", "awsbackup", ...
    engine, engine_version, status               str
    encrypted                     bool
    kms_key_id                    str | None
    created                       str | None   ISO-8601
    public                        bool | None  the "restore" attribute holds "all"
    shared_with                   [account id] | None
    errors                        {"permissions": "Code: message"} when the attribute
                                  call failed (public and shared_with are then None)

Automated snapshots cannot be shared (AWS refuses until they are copied), so their
attributes are not asked for: public is false and shared_with empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._common import attempt, each, iso
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource

INSTANCE = "aws.rds.instance"
SNAPSHOT = "aws.rds.snapshot"
CLUSTER_SNAPSHOT = "aws.rds.cluster_snapshot"


@resource_type(
    INSTANCE, service="rds", calls=("DescribeDBInstances",), id_field="DBInstanceIdentifier"
)
def instances(ctx: AwsContext) -> Iterator[CloudResource]:
    for db in paginate(ctx.client("rds"), "describe_db_instances", "DBInstances"):
        dbid = str(db["DBInstanceIdentifier"])
        endpoint = db.get("Endpoint")
        subnets = db.get("DBSubnetGroup") or {}
        attributes: dict[str, Any] = {
            "engine": str(db.get("Engine", "")),
            "engine_version": str(db.get("EngineVersion", "")),
            "instance_class": str(db.get("DBInstanceClass", "")),
            "status": str(db.get("DBInstanceStatus", "")),
            "storage_encrypted": bool(db.get("StorageEncrypted", False)),
            "kms_key_id": db.get("KmsKeyId"),
            "auto_minor_version_upgrade": bool(db.get("AutoMinorVersionUpgrade", False)),
            "publicly_accessible": bool(db.get("PubliclyAccessible", False)),
            "endpoint": None
            if not endpoint
            else {
                "address": str(endpoint.get("Address", "")),
                "port": int(endpoint.get("Port", 0)),
            },
            "multi_az": bool(db.get("MultiAZ", False)),
            "deletion_protection": bool(db.get("DeletionProtection", False)),
            "iam_auth": bool(db.get("IAMDatabaseAuthenticationEnabled", False)),
            "backup_retention_days": int(db.get("BackupRetentionPeriod", 0)),
            "vpc_id": subnets.get("VpcId") or None,
            "subnet_ids": sorted(
                str(s["SubnetIdentifier"])
                for s in subnets.get("Subnets", [])
                if "SubnetIdentifier" in s
            ),
            "security_group_ids": sorted(
                str(g["VpcSecurityGroupId"])
                for g in db.get("VpcSecurityGroups", [])
                if "VpcSecurityGroupId" in g
            ),
            "cluster_id": db.get("DBClusterIdentifier") or None,
            "created": iso(db.get("InstanceCreateTime")),
        }
        arn = db.get("DBInstanceArn") or ctx.arn("rds", f"db:{dbid}", region=ctx.region)
        yield ctx.resource(INSTANCE, dbid, arn=str(arn), attributes=attributes)


def _restore_grants(answer: dict[str, Any], result_key: str, list_key: str) -> list[str]:
    for attribute in answer.get(result_key, {}).get(list_key, []):
        if attribute.get("AttributeName") == "restore":
            return [str(v) for v in attribute.get("AttributeValues", [])]
    return []


def _snapshot(ctx: AwsContext, snap: dict[str, Any], *, cluster: bool) -> CloudResource:
    prefix = "DBClusterSnapshot" if cluster else "DBSnapshot"
    sid = str(snap[f"{prefix}Identifier"])
    errors: dict[str, str] = {}
    kind = str(snap.get("SnapshotType", ""))
    grants: list[str] | None = []
    if kind != "automated":
        rds = ctx.client("rds")
        if cluster:
            answer = attempt(
                errors,
                "permissions",
                lambda: rds.describe_db_cluster_snapshot_attributes(
                    DBClusterSnapshotIdentifier=sid
                ),
            )
        else:
            answer = attempt(
                errors,
                "permissions",
                lambda: rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=sid),
            )
        grants = (
            None
            if answer is None
            else _restore_grants(answer, f"{prefix}AttributesResult", f"{prefix}Attributes")
        )
    encrypted = snap.get("StorageEncrypted") if cluster else snap.get("Encrypted")
    attributes: dict[str, Any] = {
        "source_id": str(
            snap.get("DBClusterIdentifier" if cluster else "DBInstanceIdentifier", "")
        ),
        "snapshot_type": kind,
        "engine": str(snap.get("Engine", "")),
        "engine_version": str(snap.get("EngineVersion", "")),
        "status": str(snap.get("Status", "")),
        "encrypted": bool(encrypted),
        "kms_key_id": snap.get("KmsKeyId"),
        "created": iso(snap.get("SnapshotCreateTime")),
        "public": None if grants is None else "all" in grants,
        "shared_with": None if grants is None else sorted(g for g in grants if g != "all"),
        "errors": errors,
    }
    type_ = CLUSTER_SNAPSHOT if cluster else SNAPSHOT
    arn = snap.get(f"{prefix}Arn") or ctx.arn(
        "rds", f"{'cluster-snapshot' if cluster else 'snapshot'}:{sid}", region=ctx.region
    )
    return ctx.resource(type_, sid, arn=str(arn), attributes=attributes)


@resource_type(
    SNAPSHOT,
    service="rds",
    calls=("DescribeDBSnapshots", "DescribeDBSnapshotAttributes"),
    id_field="DBSnapshotIdentifier",
)
def snapshots(ctx: AwsContext) -> Iterator[CloudResource]:
    listed = paginate(ctx.client("rds"), "describe_db_snapshots", "DBSnapshots")
    yield from each(lambda snap: _snapshot(ctx, snap, cluster=False), listed)


@resource_type(
    CLUSTER_SNAPSHOT,
    service="rds",
    calls=("DescribeDBClusterSnapshots", "DescribeDBClusterSnapshotAttributes"),
    id_field="DBClusterSnapshotIdentifier",
)
def cluster_snapshots(ctx: AwsContext) -> Iterator[CloudResource]:
    listed = paginate(ctx.client("rds"), "describe_db_cluster_snapshots", "DBClusterSnapshots")
    yield from each(lambda snap: _snapshot(ctx, snap, cluster=True), listed)
