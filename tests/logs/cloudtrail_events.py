"""CloudTrail records, one firing and one benign neighbour per rule of Falco's
``aws_cloudtrail_rules.yaml``.

Records follow AWS's documented record contents (CloudTrail User Guide, "CloudTrail
record contents" and the per-service examples): ``eventVersion``, ``userIdentity`` by
identity type, ``eventTime``, ``eventSource``, ``eventName``, ``awsRegion``,
``sourceIPAddress``, ``userAgent``, ``requestParameters``, ``responseElements``,
``requestID``, ``eventID``, ``readOnly``, ``eventType``, ``managementEvent``,
``recipientAccountId``, ``eventCategory``, ``tlsDetails``; console sign-ins carry
``additionalEventData.MFAUsed`` and ``responseElements.ConsoleLogin``.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

Record = dict[str, Any]
ACCOUNT = "123456789012"
_ids = itertools.count(1)

IAM_USER = {
    "type": "IAMUser",
    "principalId": "AIDAJ45Q7YFFAREXAMPLE",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
    "accountId": ACCOUNT,
    "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
    "userName": "alice",
}
ROOT = {
    "type": "Root",
    "principalId": ACCOUNT,
    "arn": f"arn:aws:iam::{ACCOUNT}:root",
    "accountId": ACCOUNT,
}
ASSUMED_ROLE = {
    "type": "AssumedRole",
    "principalId": "AROAIDPPEZS35WEXAMPLE:alice",
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice",
    "accountId": ACCOUNT,
    "accessKeyId": "ASIAIOSFODNN7EXAMPLE",
    "sessionContext": {
        "sessionIssuer": {
            "type": "Role",
            "principalId": "AROAIDPPEZS35WEXAMPLE",
            "arn": f"arn:aws:iam::{ACCOUNT}:role/Admin",
            "accountId": ACCOUNT,
            "userName": "Admin",
        },
        "attributes": {"creationDate": "2024-03-05T13:59:01Z", "mfaAuthenticated": "false"},
    },
}


def record(
    name: str,
    service: str,
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    *,
    identity: dict[str, Any] | None = None,
    region: str = "us-east-1",
    read_only: bool = False,
    **extra: Any,
) -> Record:
    """One management event as CloudTrail delivers it."""
    n = next(_ids)
    rec: Record = {
        "eventVersion": "1.09",
        "userIdentity": copy.deepcopy(identity or IAM_USER),
        "eventTime": "2024-03-05T14:21:07Z",
        "eventSource": f"{service}.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "aws-cli/2.15.19 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22",
        "requestParameters": request,
        "responseElements": response,
        "requestID": f"8d5b7c1e-2f0a-4b6e-9c3d-{n:012d}",
        "eventID": f"3f2a9b6c-7d1e-4a5b-8c9d-{n:012d}",
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{service}.{region}.amazonaws.com",
        },
    }
    rec.update(extra)
    return rec


def failed(rec: Record, code: str = "AccessDenied") -> Record:
    """The same call refused: errorCode and errorMessage set, no response."""
    out = copy.deepcopy(rec)
    out.update(
        errorCode=code,
        errorMessage=f"User: {IAM_USER['arn']} is not authorized to perform this action",
        responseElements=None,
    )
    return out


def console_login(identity: dict[str, Any], mfa: str, result: str = "Success") -> Record:
    rec = record(
        "ConsoleLogin",
        "signin",
        None,
        {"ConsoleLogin": result},
        identity=identity,
        eventType="AwsConsoleSignIn",
        additionalEventData={
            "LoginTo": "https://console.aws.amazon.com/console/home",
            "MobileVersion": "No",
            "MFAUsed": mfa,
        },
    )
    del rec["readOnly"], rec["tlsDetails"]
    rec["eventCategory"] = "Management"
    return rec


def _s3(name: str, bucket: str, extra: dict[str, Any] | None = None) -> Record:
    req = {"bucketName": bucket, "Host": f"{bucket}.s3.us-east-1.amazonaws.com", **(extra or {})}
    return record(name, "s3", req, None)


_PAB: dict[str, Any] = {
    "publicAccessBlock": "",
    "PublicAccessBlockConfiguration": {
        "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
        "RestrictPublicBuckets": False,
        "BlockPublicPolicy": False,
        "BlockPublicAcls": False,
        "IgnorePublicAcls": False,
    },
}
_PAB_ON = copy.deepcopy(_PAB)
for _k in ("RestrictPublicBuckets", "BlockPublicPolicy", "BlockPublicAcls", "IgnorePublicAcls"):
    _PAB_ON["PublicAccessBlockConfiguration"][_k] = True

_RUN = record(
    "RunInstances",
    "ec2",
    {
        "instancesSet": {
            "items": [{"imageId": "ami-0abcdef1234567890", "minCount": 1, "maxCount": 1}]
        },
        "instanceType": "t3.micro",
        "availabilityZone": "us-west-2a",
        "subnetId": "subnet-1a2b3c4d",
        "tagSpecificationSet": {
            "items": [{"resourceType": "instance", "tags": [{"key": "Name", "value": "web-1"}]}]
        },
    },
    {
        "requestId": "e3ba5ea4-0d44-4e5c-9c0d-3b1f6a7e9e11",
        "reservationId": "r-0a1b2c3d4e5f67890",
        "ownerId": ACCOUNT,
        "groupSet": {},
        "subnetId": "subnet-1a2b3c4d",
        "instancesSet": {
            "items": [{"instanceId": "i-0123456789abcdef0", "imageId": "ami-0abcdef1234567890"}]
        },
    },
    region="us-west-2",
)
_ECS = {"cluster": "prod", "taskDefinition": "web:42"}
_LAMBDA = {
    "functionName": "exporter",
    "runtime": "python3.12",
    "role": f"arn:aws:iam::{ACCOUNT}:role/lambda-exec",
    "handler": "app.handler",
}

_LIST_USERS = record("ListUsers", "iam", {"maxItems": 100}, None, read_only=True)
UNNUMBERED = frozenset({"All Cloudtrail Events"})
"""Rules whose neighbour is the same record passed without its sequence number."""

CASES: dict[str, tuple[Record, Record]] = {
    # evt.num > 0: fires on a numbered event, not on a record given without its number
    "All Cloudtrail Events": (_LIST_USERS, _LIST_USERS),
    "Console Login Through Assume Role": (
        console_login(ASSUMED_ROLE, "No"),
        console_login(ASSUMED_ROLE, "No", "Failure"),
    ),
    "Console Login Without MFA": (console_login(IAM_USER, "No"), console_login(IAM_USER, "Yes")),
    "Console Root Login Without MFA": (console_login(ROOT, "No"), console_login(ROOT, "Yes")),
    "Deactivate MFA for Root User": (
        record(
            "DeactivateMFADevice",
            "iam",
            {
                "userName": "AWS ROOT USER",
                "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device",
            },
            identity=ROOT,
        ),
        record(
            "DeactivateMFADevice",
            "iam",
            {"userName": "bob", "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/bob"},
            identity=ROOT,
        ),
    ),
    "Create AWS user": (
        record(
            "CreateUser",
            "iam",
            {"userName": "mallory"},
            {"user": {"userName": "mallory", "path": "/", "userId": "AIDA5EXAMPLE"}},
        ),
        failed(record("CreateUser", "iam", {"userName": "mallory"})),
    ),
    "Create Group": (
        record("CreateGroup", "iam", {"groupName": "admins"}),
        record("CreateUser", "iam", {"userName": "admins"}),
    ),
    "Delete Group": (
        record("DeleteGroup", "iam", {"groupName": "auditors"}),
        failed(record("DeleteGroup", "iam", {"groupName": "auditors"}), "NoSuchEntity"),
    ),
    "ECS Service Created": (
        record("CreateService", "ecs", {**_ECS, "serviceName": "web"}),
        record("CreateService", "servicediscovery", {"name": "web"}),
    ),
    "ECS Task Run or Started": (
        record("RunTask", "ecs", _ECS),
        record("StopTask", "ecs", {"cluster": "prod", "task": "abc"}),
    ),
    "Create Lambda Function": (
        record("CreateFunction20150331", "lambda", _LAMBDA),
        failed(record("CreateFunction20150331", "lambda", _LAMBDA)),
    ),
    "Update Lambda Function Code": (
        record("UpdateFunctionCode20150331v2", "lambda", {"functionName": "exporter"}),
        record("GetFunction20150331v2", "lambda", {"functionName": "exporter"}, read_only=True),
    ),
    "Update Lambda Function Configuration": (
        record("UpdateFunctionConfiguration20150331v2", "lambda", {"functionName": "exporter"}),
        failed(
            record("UpdateFunctionConfiguration20150331v2", "lambda", {"functionName": "exporter"})
        ),
    ),
    "Run Instances": (_RUN, failed(_RUN, "Client.UnauthorizedOperation")),
    "Run Instances in Non-approved Region": (_RUN, {**_RUN, "awsRegion": "us-east-0"}),
    "Delete Bucket Encryption": (
        _s3("DeleteBucketEncryption", "finance-reports", {"encryption": ""}),
        _s3("GetBucketEncryption", "finance-reports", {"encryption": ""}),
    ),
    "Delete Bucket Public Access Block": (
        _s3("PutBucketPublicAccessBlock", "finance-reports", _PAB),
        _s3("PutBucketPublicAccessBlock", "finance-reports", _PAB_ON),
    ),
    "List Buckets": (
        record("ListBuckets", "s3", {"Host": "s3.us-east-1.amazonaws.com"}, None, read_only=True),
        record("ListObjects", "s3", {"bucketName": "logs", "Host": "logs.s3.amazonaws.com"}),
    ),
    "Put Bucket ACL": (
        _s3("PutBucketAcl", "finance-reports", {"acl": ""}),
        _s3("GetBucketAcl", "finance-reports", {"acl": ""}),
    ),
    "Put Bucket Policy": (
        _s3("PutBucketPolicy", "finance-reports", {"policy": '{"Version":"2012-10-17"}'}),
        failed(_s3("PutBucketPolicy", "finance-reports", {"policy": "{}"}), "MalformedPolicy"),
    ),
    "CloudTrail Trail Created": (
        record("CreateTrail", "cloudtrail", {"name": "shadow", "s3BucketName": "x-logs"}),
        record("DescribeTrails", "cloudtrail", {"trailNameList": []}, read_only=True),
    ),
    "CloudTrail Logging Disabled": (
        record(
            "StopLogging",
            "cloudtrail",
            {"name": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/management"},
        ),
        record("StartLogging", "cloudtrail", {"name": "management"}),
    ),
}
