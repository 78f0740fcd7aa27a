"""Realistic AWS inventories built by hand (shapes as the collectors record them), and
posture scan reports of one account, for the inventory store and diff tests."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from mamori.model import (
    Asset,
    AssetKind,
    CloudResource,
    CollectionError,
    ErrorKind,
    Exposure,
    Finding,
    FindingKind,
    FindingStatus,
    Identity,
    Inventory,
    Provenance,
    Sbom,
    ScanReport,
    Severity,
)

ACCOUNT = "123456789012"
OTHER = "210987654321"
T0 = datetime(2026, 3, 1, 9, 0, 0).astimezone()


def account_asset(account: str = ACCOUNT) -> Asset:
    return Asset(
        kind=AssetKind.CLOUD_RESOURCE,
        name=f"aws:account:{account}",
        identity=Identity(account=account),
        attributes={"provider": "aws"},
    )


def iam_user(
    name: str, *, mfa: bool = True, keys: int = 1, account: str = ACCOUNT
) -> CloudResource:
    return CloudResource(
        type="aws.iam.user",
        id="AIDA" + hashlib.sha256(name.encode()).hexdigest()[:16].upper(),
        name=name,
        arn=f"arn:aws:iam::{account}:user/{name}",
        account=account,
        attributes={
            "path": "/",
            "create_date": "2024-01-15T10:12:00+00:00",
            "password_enabled": True,
            "password_last_used": "2026-02-27T08:00:00+00:00",
            "mfa_devices": (
                [{"serial_number": f"arn:aws:iam::{account}:mfa/{name}", "type": "virtual"}]
                if mfa
                else []
            ),
            "access_keys": [
                {
                    "id": f"AKIA{hashlib.sha1(name.encode()).hexdigest()[:12].upper()}{i:04d}",
                    "status": "Active",
                    "create_date": "2025-06-01T00:00:00+00:00",
                    "last_used": {"date": "2026-02-28T12:00:00+00:00", "service": "s3"},
                }
                for i in range(keys)
            ],
            "attached_policies": [
                {"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "name": "ReadOnlyAccess"}
            ],
            "inline_policies": [],
            "groups": ["developers"],
            "tags": [{"key": "team", "value": "platform"}],
        },
    )


def bucket(name: str, *, region: str = "eu-west-1", public: bool = False) -> CloudResource:
    grants: list[dict[str, Any]] = [
        {"grantee": {"type": "CanonicalUser", "id": "c0ffee"}, "permission": "FULL_CONTROL"}
    ]
    if public:
        grants.append(
            {
                "grantee": {
                    "type": "Group",
                    "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                },
                "permission": "READ",
            }
        )
    return CloudResource(
        type="aws.s3.bucket",
        id=name,
        name=name,
        arn=f"arn:aws:s3:::{name}",
        account=ACCOUNT,
        region=region,
        attributes={
            "creation_date": "2023-05-04T11:00:00+00:00",
            "acl": {"owner": {"id": "c0ffee"}, "grants": grants},
            "policy": None,
            "public_access_block": {
                "block_public_acls": not public,
                "ignore_public_acls": not public,
                "block_public_policy": True,
                "restrict_public_buckets": True,
            },
            "encryption": {"rules": [{"sse_algorithm": "aws:kms", "bucket_key_enabled": True}]},
            "versioning": {"status": "Enabled", "mfa_delete": "Disabled"},
            "logging": {"target_bucket": "logs-bucket", "target_prefix": f"{name}/"},
        },
        exposure=Exposure(internet=True, reasons=("ACL grants READ to AllUsers",))
        if public
        else Exposure(internet=False),
    )


def rule(
    protocol: str, port: int | None, cidrs: Sequence[str], v6: Sequence[str] = ()
) -> dict[str, Any]:
    return {
        "ip_protocol": protocol,
        "from_port": port,
        "to_port": port,
        "ipv4_ranges": [{"cidr": c, "description": ""} for c in cidrs],
        "ipv6_ranges": [{"cidr": c} for c in v6],
        "user_id_group_pairs": [],
    }


def security_group(
    group_id: str, ingress: Sequence[dict[str, Any]], *, region: str = "eu-west-1"
) -> CloudResource:
    return CloudResource(
        type="aws.ec2.security_group",
        id=group_id,
        name=f"web-{group_id[-4:]}",
        arn=f"arn:aws:ec2:{region}:{ACCOUNT}:security-group/{group_id}",
        account=ACCOUNT,
        region=region,
        attributes={
            "group_name": f"web-{group_id[-4:]}",
            "description": "web tier",
            "vpc_id": "vpc-0a1b2c3d",
            "ingress": list(ingress),
            "egress": [rule("-1", None, ["0.0.0.0/0"], ["::/0"])],
            "tags": [{"key": "Name", "value": "web"}, {"key": "env", "value": "prod"}],
        },
    )


def nacl(acl_id: str, entries: Sequence[tuple[int, bool, str, str]]) -> CloudResource:
    return CloudResource(
        type="aws.ec2.network_acl",
        id=acl_id,
        arn=f"arn:aws:ec2:eu-west-1:{ACCOUNT}:network-acl/{acl_id}",
        account=ACCOUNT,
        region="eu-west-1",
        attributes={
            "vpc_id": "vpc-0a1b2c3d",
            "is_default": False,
            "entries": [
                {
                    "rule_number": n,
                    "egress": egress,
                    "protocol": "-1",
                    "rule_action": action,
                    "cidr_block": cidr,
                }
                for n, egress, action, cidr in entries
            ],
        },
    )


def inventory(
    resources: Sequence[CloudResource],
    errors: Sequence[CollectionError] = (),
    *,
    at: datetime = T0,
) -> Inventory:
    return Inventory(
        provider="aws",
        accounts=tuple(sorted({r.account for r in resources} or {ACCOUNT})),
        regions=("eu-west-1", "us-east-1"),
        resources=tuple(resources),
        errors=tuple(errors),
        collected_at=at,
    )


def denied(type_: str, region: str = "eu-west-1", account: str = ACCOUNT) -> CollectionError:
    return CollectionError(
        type=type_,
        account=account,
        region=region,
        kind=ErrorKind.ACCESS_DENIED,
        message=f"AccessDenied: not authorized to list {type_}",
    )


def posture_finding(
    rule_id: str, resource: CloudResource, status: FindingStatus, at: datetime
) -> Finding:
    return Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=rule_id,
        title=f"{rule_id} on {resource.name or resource.id}",
        severity=Severity.HIGH,
        resource=Asset(
            kind=AssetKind.CLOUD_RESOURCE,
            name=resource.key,
            identity=resource.identity,
            attributes={"type": resource.type},
        ),
        status=status,
        evidence={"subject": resource.key},
        first_seen=at,
        last_seen=at,
        provenance=Provenance(
            producer="mamori.posture.aws", producer_version="0.1.0", observed_at=at
        ),
        reason="evaluated",
    )


def posture_report(findings: Sequence[Finding], *, at: datetime = T0) -> ScanReport:
    return ScanReport(
        scan_id=str(uuid.uuid4()),
        target=account_asset(),
        started_at=at,
        finished_at=at + timedelta(minutes=3),
        sbom=Sbom(),
        findings=tuple(findings),
        tool_version="0.1.0",
    )


def big_inventory(count: int, *, at: datetime = T0) -> list[CloudResource]:
    """`count` resources cycling through users, buckets, security groups and NACLs."""
    found: list[CloudResource] = []
    for i in range(count):
        match i % 4:
            case 0:
                found.append(iam_user(f"user{i:05d}", mfa=i % 3 != 0, keys=1 + i % 2))
            case 1:
                found.append(bucket(f"bucket-{i:05d}", public=i % 50 == 1))
            case 2:
                ingress = [
                    rule("tcp", 443, ["0.0.0.0/0"], ["::/0"]),
                    rule("tcp", 22, [f"10.{i % 256}.0.0/16", "192.168.0.0/24"]),
                    rule("tcp", 5432, [], []),
                ]
                found.append(security_group(f"sg-{i:017x}", ingress))
            case _:
                entries = [(100, False, "allow", "10.0.0.0/8"), (100, True, "allow", "0.0.0.0/0")]
                found.append(nacl(f"acl-{i:017x}", entries))
    return found
