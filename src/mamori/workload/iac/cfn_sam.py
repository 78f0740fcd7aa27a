"""AWS SAM (`Transform: AWS::Serverless-2016-10-31`): serverless resources expanded into
the CloudFormation resources the transform generates, before evaluation.

Following the SAM specification's documented mapping (not the transform's code):

- `AWS::Serverless::Function` `X` -> `AWS::Lambda::Function` `X` (FunctionName, Runtime,
  Handler, Role... passed through);
- its `FunctionUrlConfig` -> `AWS::Lambda::Url` `XUrl` (AuthType, Cors, InvokeMode passed
  through, TargetFunctionArn the function; the alias when `AutoPublishAlias` is set);
- without `Role`, the execution role SAM creates, `AWS::IAM::Role` `XRole`, whose inline
  policies are the policy documents given in `Policies` (`XRolePolicy<n>`). SAM policy
  templates (scoped by construction) and managed policy names are not inline policies.

The `Globals` section's `Function` properties apply to every function: a property the
function sets wins, mappings merge key by key, lists are the globals' followed by the
function's; intrinsic functions are values, not mappings. Generated resources keep the
function's `Condition` and its line (so findings and `mamori:ignore` comments point at
the function). `AWS::Serverless::Api`, `HttpApi`, `SimpleTable` and the rest are left as
written (not mapped).
"""

from __future__ import annotations

from typing import Any

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
FUNCTION = "AWS::Serverless::Function"
_PASSED = (
    "FunctionName",
    "Description",
    "Handler",
    "Runtime",
    "MemorySize",
    "Timeout",
    "Role",
    "Environment",
    "VpcConfig",
    "KmsKeyArn",
    "Layers",
    "Architectures",
    "ReservedConcurrentExecutions",
    "EphemeralStorage",
    "PackageType",
    "ImageConfig",
    "FileSystemConfigs",
    "CodeSigningConfigArn",
    "LoggingConfig",
)
_URL_PASSED = ("AuthType", "Cors", "InvokeMode")
MAX_RESOURCES = 10_000


def is_sam(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    transform = data.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in [n for n in names if isinstance(n, str)]


def _intrinsic(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and len(value) == 1
        and any(str(k) == "Ref" or str(k).startswith("Fn::") for k in value)
    )


def merge_globals(defaults: Any, local: Any) -> Any:
    """A property's value after Globals: the function's wins, mappings merge, lists join."""
    if isinstance(defaults, dict) and isinstance(local, dict):
        if _intrinsic(defaults) or _intrinsic(local):
            return local
        merged = dict(defaults)
        for key, value in local.items():
            merged[key] = merge_globals(defaults[key], value) if key in defaults else value
        return merged
    if isinstance(defaults, list) and isinstance(local, list):
        return [*defaults, *local]
    return local


def _function(name: str, spec: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def emit(logical: str, type_: str, properties: dict[str, Any]) -> None:
        resource: dict[str, Any] = {"Type": type_, "Properties": properties}
        if "Condition" in spec:
            resource["Condition"] = spec["Condition"]
        out[logical] = resource

    function = {k: props[k] for k in _PASSED if k in props}
    if "Role" not in props:
        function["Role"] = {"Fn::GetAtt": [f"{name}Role", "Arn"]}
        emit(f"{name}Role", "AWS::IAM::Role", _role(name, props.get("Policies")))
    emit(name, "AWS::Lambda::Function", function)
    url = props.get("FunctionUrlConfig")
    if isinstance(url, dict):
        target: dict[str, Any] = {"Ref": name}
        properties = {"TargetFunctionArn": target, **{k: url[k] for k in _URL_PASSED if k in url}}
        alias = props.get("AutoPublishAlias")
        if alias is not None:
            properties["Qualifier"] = alias
        emit(f"{name}Url", "AWS::Lambda::Url", properties)
    return out


def _role(name: str, policies: Any) -> dict[str, Any]:
    items = policies if isinstance(policies, list) else [] if policies is None else [policies]
    inline = [
        {"PolicyName": f"{name}RolePolicy{index}", "PolicyDocument": item}
        for index, item in enumerate(items)
        if isinstance(item, dict) and "Statement" in item
    ]
    return {"Policies": inline} if inline else {}


def expand_sam(
    data: dict[str, Any], lines: dict[tuple[str, ...], int]
) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
    """(template, lines) with serverless functions expanded; unchanged when not SAM."""
    resources = data.get("Resources")
    if not is_sam(data) or not isinstance(resources, dict):
        return data, lines
    section = data.get("Globals")
    defaults = section.get("Function") if isinstance(section, dict) else None
    defaults = defaults if isinstance(defaults, dict) else {}
    out: dict[str, Any] = {}
    new_lines = dict(lines)
    for name, spec in resources.items():
        if len(out) >= MAX_RESOURCES:
            break
        if not (isinstance(spec, dict) and spec.get("Type") == FUNCTION):
            out[str(name)] = spec
            continue
        props = spec.get("Properties")
        merged = merge_globals(defaults, props if isinstance(props, dict) else {})
        line = lines.get(("Resources", str(name)))
        for logical, generated in _function(str(name), spec, merged).items():
            if logical in resources and logical != name:
                continue  # a resource the template declares itself keeps its declaration
            out[logical] = generated
            if line is not None:
                new_lines[("Resources", logical)] = line
    return {**data, "Resources": out}, new_lines
