"""EKS clusters: API endpoint access, control-plane logging, version.

aws.eks.cluster attributes:
    version, platform_version, status, endpoint (str | None), role_arn, created_at
    endpoint_public_access, endpoint_private_access (bool | None)
    public_access_cidrs: [str] (AWS reports ["0.0.0.0/0"] when unrestricted)
    vpc_id, subnet_ids: [str], security_group_ids: [str] (plus cluster_security_group_id)
    logging_enabled: [str], logging_disabled: [str] among api, audit, authenticator,
        controllerManager, scheduler
    secrets_encryption_key (str | None): the KMS key envelope-encrypting secrets
    errors: {call: message} when DescribeCluster failed for this cluster (the other
        attributes are then absent)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._common import attempt, each, iso
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource


def _logging(cluster: dict[str, Any]) -> tuple[list[str], list[str]]:
    enabled: set[str] = set()
    disabled: set[str] = set()
    for setup in (cluster.get("logging") or {}).get("clusterLogging", []):
        (enabled if setup.get("enabled") else disabled).update(setup.get("types", []))
    return sorted(enabled), sorted(disabled - enabled)


def _attributes(cluster: dict[str, Any]) -> dict[str, Any]:
    vpc = cluster.get("resourcesVpcConfig") or {}
    enabled, disabled = _logging(cluster)
    keys = [
        (e.get("provider") or {}).get("keyArn")
        for e in cluster.get("encryptionConfig", [])
        if "secrets" in e.get("resources", [])
    ]
    return {
        "version": cluster.get("version"),
        "platform_version": cluster.get("platformVersion"),
        "status": cluster.get("status"),
        "endpoint": cluster.get("endpoint"),
        "role_arn": cluster.get("roleArn"),
        "created_at": iso(cluster.get("createdAt")),
        "endpoint_public_access": vpc.get("endpointPublicAccess"),
        "endpoint_private_access": vpc.get("endpointPrivateAccess"),
        "public_access_cidrs": list(vpc.get("publicAccessCidrs", [])),
        "vpc_id": vpc.get("vpcId"),
        "subnet_ids": sorted(vpc.get("subnetIds", [])),
        "security_group_ids": sorted(vpc.get("securityGroupIds", [])),
        "cluster_security_group_id": vpc.get("clusterSecurityGroupId"),
        "logging_enabled": enabled,
        "logging_disabled": disabled,
        "secrets_encryption_key": next((k for k in keys if k), None),
    }


def _describe(ctx: AwsContext, name: str) -> tuple[dict[str, Any], str | None]:
    errors: dict[str, str] = {}
    answer = attempt(
        errors, "DescribeCluster", lambda: ctx.client("eks").describe_cluster(name=name)
    )
    cluster = (answer or {}).get("cluster")
    attrs = _attributes(cluster) if cluster else {}
    attrs["errors"] = errors
    return attrs, (cluster or {}).get("arn")


@resource_type(
    "aws.eks.cluster",
    service="eks",
    calls=("ListClusters", "DescribeCluster"),
    id_field="name",
)
def clusters(ctx: AwsContext) -> Iterator[CloudResource]:
    names = [str(n) for n in paginate(ctx.client("eks"), "list_clusters", "clusters")]
    for name, (attrs, arn) in zip(names, each(lambda n: _describe(ctx, n), names), strict=True):
        yield ctx.resource(
            "aws.eks.cluster",
            name,
            arn=arn or ctx.arn("eks", f"cluster/{name}", region=ctx.region),
            attributes=attrs,
        )
