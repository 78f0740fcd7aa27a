"""Data services: S3 buckets, KMS keys, RDS instances, EFS, Lambda functions, log groups.

Bucket profiles (index % 4): 0 block-public-access (all four) + deny-HTTP policy,
1 public-read policy and no block, 2 partial block + deny-HTTP, 3 full block only.
KMS (% 3): 0 rotation on, 1 off, 2 asymmetric (rotation n/a). RDS (% 4): every mix of
encrypted / publicly accessible / auto minor version upgrade. EFS (% 2): encrypted or not.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from _aws_moto import ACCOUNT
from _aws_seed import Clients, Truth, region_of, run_all

ALL_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def make_bucket(
    s3: Any, name: str, region: str, truth: Truth, *, pab: bool, tls: bool, public: bool = False
) -> None:
    """A bucket with (or without) full public-access block and a deny-HTTP policy."""
    extra = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=name, **extra)
    arn = f"arn:aws:s3:::{name}"
    statements: list[dict[str, Any]] = []
    if tls:
        statements.append(
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                # {"AWS": "*"}, not "*": moto's PutBucketLogging crashes on a string principal
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    if public:
        statements.append(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/*"}
        )
    if statements:
        policy = {"Version": "2012-10-17", "Statement": statements}
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    if pab:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=ALL_BLOCKED)
    truth.put("2.1.1", name, tls)
    truth.put("2.1.4", name, pab)
    truth.count("s3_bucket")


def _bucket(s3: Any, i: int, truth: Truth) -> None:
    region, p = region_of(i), i % 4
    name = f"bench-{i:05d}-{region}"
    make_bucket(s3, name, region, truth, pab=p in (0, 3), tls=p in (0, 2), public=p == 1)
    if p == 2:  # partial block: not compliant
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration={**ALL_BLOCKED, "BlockPublicPolicy": False}
        )


def _kms(kms: Any, i: int, truth: Truth) -> None:
    p = i % 3
    if p == 2:
        key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        truth.put("3.6", key, True, required=False)  # rotation applies to symmetric keys only
    else:
        key = kms.create_key(Description=f"bench-{i}")["KeyMetadata"]["KeyId"]
        if p == 0:
            kms.enable_key_rotation(KeyId=key)
        truth.put("3.6", key, p == 0)
    truth.count("kms_key")


def _rds(rds: Any, i: int, truth: Truth) -> None:
    p = i % 4
    name = f"db-{i:05d}"
    encrypted, public, minor = p in (0, 2), p in (1, 2), p in (0, 3)
    rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="bench",
        MasterUserPassword="bench-password-1",
        StorageEncrypted=encrypted,
        PubliclyAccessible=public,
        AutoMinorVersionUpgrade=minor,
    )
    truth.put("2.3.1", name, encrypted)
    truth.put("2.3.2", name, minor)
    truth.put("2.3.3", name, not public)
    truth.count("rds_instance")


def _efs(efs: Any, i: int, truth: Truth) -> None:
    fs = efs.create_file_system(CreationToken=f"efs-{i:05d}", Encrypted=i % 2 == 0)
    truth.put("2.4.1", fs["FileSystemId"], i % 2 == 0)
    truth.count("efs_file_system")


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", "def handler(event, context):\n    return 'ok'\n")
    return buf.getvalue()


def _lambda(lam: Any, i: int, truth: Truth, code: bytes) -> None:
    name = f"fn-{i:05d}"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=f"arn:aws:iam::{ACCOUNT}:role/role-00002",
        Handler="index.handler",
        Code={"ZipFile": code},
    )
    if i % 2:
        lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    truth.count("lambda_function")


def seed_data(aws: Clients, counts: dict[str, int], truth: Truth) -> None:
    code = _zip()
    tasks = [
        lambda i=i: _bucket(aws("s3", region_of(i)), i, truth) for i in range(counts["buckets"])
    ]
    tasks += [
        lambda i=i: _kms(aws("kms", region_of(i)), i, truth) for i in range(counts["kms_keys"])
    ]
    tasks += [lambda i=i: _rds(aws("rds", region_of(i)), i, truth) for i in range(counts["rds"])]
    tasks += [lambda i=i: _efs(aws("efs", region_of(i)), i, truth) for i in range(counts["efs"])]
    tasks += [
        lambda i=i: _lambda(aws("lambda", region_of(i)), i, truth, code)
        for i in range(counts["lambdas"])
    ]
    tasks += [
        lambda i=i: aws("logs", region_of(i)).create_log_group(logGroupName=f"/bench/app-{i:05d}")
        for i in range(counts["log_groups"])
    ]
    truth.count("log_group", counts["log_groups"])
    run_all(tasks)
