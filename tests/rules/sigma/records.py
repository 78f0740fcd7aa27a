"""Realistic base records for the Sigma rule cases (`cases.yaml`).

A case gives only what its rule is about; the rest of the record is an ordinary
CloudTrail record (``eventVersion`` 1.09, as delivered to S3) or an ``audit.k8s.io/v1``
``Event`` at stage ``ResponseComplete``. Overrides merge into dicts; the string
``<delete>`` removes a key; ``identity:`` picks one of the identities below.
"""

from __future__ import annotations

import copy
from typing import Any

ACCOUNT = "111122223333"
DELETE = "<delete>"

IDENTITIES: dict[str, dict[str, Any]] = {
    "iam_user": {
        "type": "IAMUser",
        "principalId": "AIDAQX2EXAMPLEUSER7",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAQX2EXAMPLEKEY7A",
        "userName": "alice",
    },
    "assumed_role": {
        "type": "AssumedRole",
        "principalId": "AROAQX2EXAMPLEROLE9:bob@example.com",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AdminRole/bob@example.com",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAQX2EXAMPLESESS1",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAQX2EXAMPLEROLE9",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/AdminRole",
                "accountId": ACCOUNT,
                "userName": "AdminRole",
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": "2026-11-20T13:51:09Z", "mfaAuthenticated": "true"},
        },
    },
    "ec2_identity": {
        "type": "AssumedRole",
        "principalId": "AROAQX2EXAMPLEEC2ID:i-0a1b2c3d4e5f67890",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/aws:ec2-instance/i-0a1b2c3d4e5f67890",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAQX2EXAMPLEINST3",
        "sessionContext": {
            "sessionIssuer": {},
            "webIdFederationData": {},
            "attributes": {"creationDate": "2026-11-20T12:00:00Z", "mfaAuthenticated": "false"},
            "ec2RoleDelivery": "2.0",
        },
    },
    "root": {
        "type": "Root",
        "principalId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAQX2EXAMPLEROOT1",
    },
    "saml_user": {
        "type": "SAMLUser",
        "principalId": "Xb3c9kq0YzT8rXkzDq0b9JEXAMPLE=:carol@example.com",
        "userName": "carol@example.com",
        "identityProvider": "Xb3c9kq0YzT8rXkzDq0b9JEXAMPLE=",
    },
}

CLOUDTRAIL: dict[str, Any] = {
    "eventVersion": "1.09",
    "userIdentity": IDENTITIES["iam_user"],
    "eventTime": "2026-11-20T14:03:27Z",
    "eventSource": "ec2.amazonaws.com",
    "eventName": "DescribeInstances",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "198.51.100.23",
    "userAgent": "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.0 md/arch#x86_64 "
    "lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe",
    "requestParameters": None,
    "responseElements": None,
    "requestID": "5c1ad6c4-6d51-4f3b-b2a3-2d0f6ec0b7e1",
    "eventID": "8f3e9a0b-3c44-4b39-9a51-0f6a2d1e7c55",
    "readOnly": False,
    "eventType": "AwsApiCall",
    "managementEvent": True,
    "recipientAccountId": ACCOUNT,
    "eventCategory": "Management",
    "tlsDetails": {
        "tlsVersion": "TLSv1.3",
        "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "clientProvidedHostHeader": "ec2.us-east-1.amazonaws.com",
    },
}

K8S_AUDIT: dict[str, Any] = {
    "kind": "Event",
    "apiVersion": "audit.k8s.io/v1",
    "level": "RequestResponse",
    "auditID": "3f2b6a8e-9c1d-4e57-8b0a-6d4c2e1f9a73",
    "stage": "ResponseComplete",
    "requestURI": "/api/v1/namespaces/default/pods",
    "verb": "create",
    "user": {
        "username": "alice@example.com",
        "groups": ["system:authenticated", "devops"],
    },
    "sourceIPs": ["203.0.113.10"],
    "userAgent": "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819",
    "objectRef": {"resource": "pods", "namespace": "default", "name": "web-1", "apiVersion": "v1"},
    "responseStatus": {"metadata": {}, "code": 201},
    "requestReceivedTimestamp": "2026-11-20T14:03:27.123456Z",
    "stageTimestamp": "2026-11-20T14:03:27.140211Z",
    "annotations": {
        "authorization.k8s.io/decision": "allow",
        "authorization.k8s.io/reason": 'RBAC: allowed by ClusterRoleBinding "devops" of '
        'ClusterRole "edit" to Group "devops"',
    },
}


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` merged into a copy of `base` (dicts recursively; ``<delete>`` removes)."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if value == DELETE:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def build(source: str, spec: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A record: `base` (default: the source's template) with the case's overrides."""
    spec = dict(spec)
    ident = spec.pop("identity", None)
    start = base if base is not None else (CLOUDTRAIL if source == "aws_cloudtrail" else K8S_AUDIT)
    rec = merge(start, spec)
    if ident is not None:
        rec["userIdentity"] = copy.deepcopy(IDENTITIES[ident])
    if source == "aws_cloudtrail" and "eventSource" in spec and "tlsDetails" in rec:
        host = str(rec["eventSource"]).replace(
            ".amazonaws.com", f".{rec['awsRegion']}.amazonaws.com"
        )
        rec["tlsDetails"]["clientProvidedHostHeader"] = host
    return rec
