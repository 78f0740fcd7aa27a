"""Make moto enforce IAM policies, to see how collectors behave when a call is denied.

moto checks every request against the caller's IAM policies once `/moto-api/reset-auth`
is set to 0; `inf` turns that off again (the server is shared by the whole session).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import httpx

from tests.cloud.conftest import REGION


def principal(aws: boto3.Session, name: str, policy: dict[str, Any]) -> boto3.Session:
    """A session for a new user holding `policy` (create it before `enforced`)."""
    iam = aws.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="scan", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name=REGION,
    )


def denying(*actions: str) -> dict[str, Any]:
    """Allow everything but `actions`."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": list(actions), "Resource": "*"},
        ],
    }


@contextmanager
def enforced(moto_url: str) -> Iterator[None]:
    httpx.post(f"{moto_url}/moto-api/reset-auth", content=b"0", timeout=10).raise_for_status()
    try:
        yield
    finally:
        httpx.post(f"{moto_url}/moto-api/reset-auth", content=b"inf", timeout=10)
