"""The EKS cluster collector against moto: endpoint access, logging, version.

The oracle is what create_cluster was asked for. Not emulated by moto: IAM enforcement
for EKS (with /moto-api/reset-auth every EKS request fails SignatureDoesNotMatch), so a
denied DescribeCluster cannot be staged; the per-item recording it goes through
(`attempt`) is tested with denied calls in test_ecr.py and test_vpc.py.
"""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud.computeseed import ALL_LOGS, ROLE
from tests.cloud.computeseed import clusters as seed
from tests.cloud.conftest import ACCOUNT, REGION


def test_clusters(aws: boto3.Session, target: Target) -> None:
    seed(aws)
    inv = collect([target], regions=[REGION], types=["aws.eks.cluster"])
    assert not inv.errors
    found = {r.id: r for r in inv.of_type("aws.eks.cluster")}
    assert set(found) == {"open", "private", "office"}
    assert found["open"].arn == f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/open"

    opened = found["open"].attributes
    assert opened["version"] == "1.29" and opened["role_arn"] == ROLE
    assert opened["endpoint_public_access"] is True
    assert opened["public_access_cidrs"] == ["0.0.0.0/0"]
    assert opened["logging_enabled"] == ["api", "audit"]
    assert opened["subnet_ids"] == ["subnet-1", "subnet-2"] and opened["errors"] == {}
    assert opened["endpoint"].startswith("https://")

    private = found["private"].attributes
    assert private["endpoint_public_access"] is False
    assert private["endpoint_private_access"] is True
    assert private["logging_enabled"] == sorted(ALL_LOGS)

    office = found["office"].attributes
    assert office["public_access_cidrs"] == ["203.0.113.0/24"]
    assert office["logging_enabled"] == []
