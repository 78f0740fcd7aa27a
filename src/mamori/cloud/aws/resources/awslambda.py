"""Lambda functions: runtime, role, function URL and resource policy.

aws.lambda.function attributes:
    runtime (str | None; None for container images), role, handler, package_type,
    architectures: [str], last_modified, vpc_id (str | None), subnet_ids: [str],
    security_group_ids: [str]
    url: {url, auth_type: "NONE" | "AWS_IAM", invoke_mode, cors (dict | None)} | None
        the function's unqualified URL (GetFunctionUrlConfig)
    policy: the resource policy as JSON data | None
    policy_public_actions: [str] actions that a public statement allows (see
        _resource_policy: wildcard principal, no narrowing condition)
    policy_public: bool (policy_public_actions is not empty)
    errors: {call: message} per failed sub-call (GetFunctionUrlConfig, GetPolicy)

Gap: function URLs attached to aliases (qualified URLs) are not read;
ListFunctionUrlConfigs would list them but is not emulated by moto, so it is left
until it can be tested.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._common import attempt, each
from mamori.cloud.aws.resources._resource_policy import parse, public_actions
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource

NOT_FOUND = ("ResourceNotFoundException",)


def _details(ctx: AwsContext, fn: dict[str, Any]) -> dict[str, Any]:
    client = ctx.client("lambda")
    name = str(fn["FunctionName"])
    errors: dict[str, str] = {}
    url = attempt(
        errors,
        "GetFunctionUrlConfig",
        lambda: client.get_function_url_config(FunctionName=name),
        missing=NOT_FOUND,
    )
    text = attempt(
        errors,
        "GetPolicy",
        lambda: client.get_policy(FunctionName=name).get("Policy"),
        missing=NOT_FOUND,
    )
    policy = parse(text)
    actions = public_actions(policy)
    vpc = fn.get("VpcConfig") or {}
    return {
        "runtime": fn.get("Runtime"),
        "role": fn.get("Role"),
        "handler": fn.get("Handler"),
        "package_type": fn.get("PackageType"),
        "architectures": list(fn.get("Architectures", [])),
        "last_modified": fn.get("LastModified"),
        "vpc_id": vpc.get("VpcId") or None,
        "subnet_ids": sorted(vpc.get("SubnetIds", [])),
        "security_group_ids": sorted(vpc.get("SecurityGroupIds", [])),
        "url": None
        if url is None
        else {
            "url": url.get("FunctionUrl"),
            "auth_type": url.get("AuthType"),
            "invoke_mode": url.get("InvokeMode"),
            "cors": url.get("Cors"),
        },
        "policy": policy,
        "policy_public_actions": actions,
        "policy_public": bool(actions),
        "errors": errors,
    }


@resource_type(
    "aws.lambda.function",
    service="lambda",
    calls=("ListFunctions", "GetFunctionUrlConfig", "GetPolicy"),
    id_field="FunctionName",
)
def functions(ctx: AwsContext) -> Iterator[CloudResource]:
    found = paginate(ctx.client("lambda"), "list_functions", "Functions")
    details = each(lambda fn: _details(ctx, fn), found)
    for fn, attrs in zip(found, details, strict=True):
        name = str(fn["FunctionName"])
        yield ctx.resource(
            "aws.lambda.function",
            name,
            arn=fn.get("FunctionArn") or ctx.arn("lambda", f"function:{name}", region=ctx.region),
            attributes=attrs,
        )
