"""The Lambda function collector against moto: runtime, role, function URL, policy.

The oracle is what create_function, create_function_url_config and add_permission were
asked for. Not emulated by moto: ListFunctionUrlConfigs (so only the unqualified URL is
collected, see the collector's docstring), and IAM enforcement for Lambda (with
/moto-api/reset-auth every Lambda request fails SignatureDoesNotMatch), so a denied
GetPolicy cannot be staged here; the same per-item recording (`attempt`) is tested
with denied calls in test_ecr.py and test_vpc.py.
"""

from __future__ import annotations

import boto3

from mamori.cloud.aws.collect import Target, collect
from tests.cloud.computeseed import function
from tests.cloud.conftest import ACCOUNT, REGION


def test_functions_with_urls_and_policies(aws: boto3.Session, target: Target) -> None:
    role = function(aws, "open", url="NONE", public=True)
    function(aws, "signed", url="AWS_IAM")
    function(aws, "plain")
    aws.client("lambda", region_name=REGION).add_permission(
        FunctionName="plain",
        StatementId="from-bucket",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::uploads",
        SourceAccount=ACCOUNT,
    )
    inv = collect([target], regions=[REGION], types=["aws.lambda.function"])
    assert not inv.errors
    found = {r.id: r for r in inv.of_type("aws.lambda.function")}
    assert set(found) == {"open", "signed", "plain"}
    assert found["open"].arn == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:open"

    a = found["open"].attributes
    assert a["runtime"] == "python3.12" and a["role"] == role and a["errors"] == {}
    assert a["url"]["auth_type"] == "NONE" and a["url"]["url"].startswith("https://")
    assert a["policy_public"] is True
    assert a["policy_public_actions"] == ["lambda:InvokeFunctionUrl"]
    assert a["policy"]["Statement"][0]["Sid"] == "public-url"

    b = found["signed"].attributes
    assert b["url"]["auth_type"] == "AWS_IAM"
    assert b["policy"] is None and b["policy_public"] is False

    c = found["plain"].attributes
    assert c["url"] is None and c["errors"] == {}
    assert c["policy"]["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert c["policy_public"] is False
