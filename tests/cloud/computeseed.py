"""Seed moto with Lambda functions, ECR repositories and EKS clusters through their APIs.

Shared by the collector, check and exposure tests: what is seeded here is the oracle
the tests compare against.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

import boto3

from tests.cloud.conftest import ACCOUNT, REGION

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _code() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


def function(aws: boto3.Session, name: str, *, url: str = "", public: bool = False) -> str:
    """A function; with a URL of AuthType `url`; with a public invoke permission."""
    iam = aws.client("iam")
    try:
        role = iam.get_role(RoleName="fn")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(TRUST))
        role = role["Role"]["Arn"]
    client = aws.client("lambda", region_name=REGION)
    client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": _code()},
    )
    if url:
        client.create_function_url_config(FunctionName=name, AuthType=url)
    if public:
        client.add_permission(
            FunctionName=name,
            StatementId="public-url",
            Action="lambda:InvokeFunctionUrl",
            Principal="*",
            FunctionUrlAuthType="NONE",
        )
    return str(role)


PULL: dict[str, Any] = {
    "Sid": "pull",
    "Effect": "Allow",
    "Principal": "*",
    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
}
PULL_FOR_ALL = {"Version": "2012-10-17", "Statement": [PULL]}
PULL_FOR_ORG = {
    "Version": "2012-10-17",
    "Statement": [{**PULL, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}],
}


def manifest(n: int) -> str:
    layer = hashlib.sha256(str(n).encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 100,
                "digest": f"sha256:{hashlib.sha256(f'c{n}'.encode()).hexdigest()}",
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 1000 + n,
                    "digest": f"sha256:{layer}",
                }
            ],
        }
    )


def repositories(aws: boto3.Session) -> None:
    client = aws.client("ecr", region_name=REGION)
    client.create_repository(
        repositoryName="scanned",
        imageScanningConfiguration={"scanOnPush": True},
        imageTagMutability="IMMUTABLE",
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": "alias/ecr"},
    )
    client.create_repository(repositoryName="open")
    client.set_repository_policy(repositoryName="open", policyText=json.dumps(PULL_FOR_ALL))
    client.create_repository(repositoryName="org")
    client.set_repository_policy(repositoryName="org", policyText=json.dumps(PULL_FOR_ORG))
    for n in range(3):
        client.put_image(repositoryName="open", imageManifest=manifest(n), imageTag=f"v{n}")


ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
ROLE = f"arn:aws:iam::{ACCOUNT}:role/eks"


def cluster(aws: boto3.Session, name: str, vpc: dict[str, Any], logs: list[str]) -> None:
    aws.client("eks", region_name=REGION).create_cluster(
        name=name,
        version="1.29",
        roleArn=ROLE,
        resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"], **vpc},
        logging={"clusterLogging": [{"types": logs, "enabled": True}]} if logs else {},
    )


def clusters(aws: boto3.Session) -> None:
    cluster(
        aws,
        "open",
        {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]},
        ["api", "audit"],
    )
    cluster(
        aws,
        "private",
        {"endpointPublicAccess": False, "endpointPrivateAccess": True},
        ALL_LOGS,
    )
    cluster(
        aws,
        "office",
        {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]},
        [],
    )
