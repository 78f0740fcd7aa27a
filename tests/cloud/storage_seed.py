"""Seeding for the storage tests: real API calls against the moto server, nothing mocked.

Shared by the collector tests (tests/cloud/test_s3.py, ...) and the check tests
(tests/posture/test_*_checks.py), so a check is tested on exactly what the collector
makes of a configuration.
"""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.cloud.conftest import ACCOUNT, REGION

OTHER_REGION = "eu-west-1"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
STORAGE_TYPES = [
    "aws.s3.bucket",
    "aws.s3.account_public_access_block",
    "aws.ec2.ebs_encryption_default",
    "aws.ec2.volume",
    "aws.ec2.snapshot",
    "aws.ec2.image",
    "aws.rds.instance",
    "aws.rds.snapshot",
    "aws.rds.cluster_snapshot",
    "aws.efs.file_system",
    "aws.kms.key",
]


def s3control_on_loopback(session: boto3.Session) -> None:
    """Let S3 Control reach moto on 127.0.0.1.

    S3 Control puts the account id in the host name (<account>.s3-control.<region>...),
    and botocore does the same to a custom endpoint: 123456789012.127.0.0.1 does not
    resolve. AWS's DNS answers for every account; this stands in for that DNS by
    dropping the label once the request is built. The request itself is unchanged.
    """

    def strip(request: Any, **_: Any) -> None:
        request.url = request.url.replace(f"://{ACCOUNT}.", "://", 1)

    session.events.register("before-send.s3-control", strip)


def deny_http(bucket: str, **changes: Any) -> dict[str, Any]:
    """The CIS 2.1.1 statement, with `changes` applied to it."""
    statement = {
        "Sid": "DenyHttp",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    statement.update(changes)
    return {"Version": "2012-10-17", "Statement": [statement]}


def public_read(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


def bucket(
    aws: boto3.Session,
    name: str,
    *,
    region: str = REGION,
    policy: dict[str, Any] | None = None,
    acl: str | None = None,
    block: bool | None = None,
) -> Any:
    """Create a bucket in `region`; return an S3 client of that region."""
    s3 = aws.client("s3", region_name=region)
    extra: dict[str, Any] = {}
    if region != "us-east-1":
        extra["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(Bucket=name, **extra)
    if policy is not None:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    if acl is not None:
        s3.put_bucket_acl(Bucket=name, ACL=acl)
    if block is not None:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=all_four(block))
    return s3


def all_four(value: bool) -> dict[str, bool]:
    keys = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    return dict.fromkeys(keys, value)


def account_block(aws: boto3.Session, config: dict[str, bool]) -> None:
    s3control_on_loopback(aws)
    aws.client("s3control").put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration=config
    )


def rds_instance(aws: boto3.Session, name: str, **settings: Any) -> None:
    aws.client("rds").create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        EngineVersion="15.4",
        MasterUsername="admin_user",
        MasterUserPassword="not-a-real-password-1",
        AllocatedStorage=20,
        **settings,
    )


def subnet_group(aws: boto3.Session, name: str, *, public: bool) -> None:
    """A DB subnet group over two new subnets; public ones route 0.0.0.0/0 to an IGW."""
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    if public:
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        for subnet in subnets:
            ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    aws.client("rds").create_db_subnet_group(
        DBSubnetGroupName=name, DBSubnetGroupDescription=name, SubnetIds=subnets
    )


def owned_image(aws: boto3.Session, region: str = REGION) -> str:
    """An AMI owned by ACCOUNT, made from an instance of one of moto's stock AMIs."""
    ec2 = aws.client("ec2", region_name=region)
    amazon_linux = [{"Name": "name", "Values": ["amzn2-ami-hvm-*"]}]
    stock = ec2.describe_images(Owners=["amazon"], Filters=amazon_linux)["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=stock, MinCount=1, MaxCount=1)["Instances"][0]
    return str(ec2.create_image(InstanceId=instance["InstanceId"], Name=f"img-{region}")["ImageId"])
