"""IAM groups and roles (global), from GetAccountAuthorizationDetails.

`aws.iam.group`, id = group name, arn = group ARN. Attributes:

    path, group_id, created           str (created: ISO-8601 UTC)
    attached_policies                 [{"name", "arn"}]
    inline_policies                   [{"name", "document"}]
    members                           [user names] (from the users' group lists)

`aws.iam.role`, id = role name, arn = role ARN. Attributes:

    path, role_id, created            str
    service_linked                    bool (path /aws-service-role/)
    trust_policy                      policy JSON (AssumeRolePolicyDocument)
    attached_policies                 [{"name", "arn"}]
    inline_policies                   [{"name", "document"}]
    last_used                         ISO str | None; last_used_region: str | None
    instance_profiles                 [instance profile ARNs]
    permissions_boundary              policy ARN | None
    tags                              {key: value}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._iam import document, inline, iso, policy_refs, tags
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource


@resource_type(
    "aws.iam.group",
    service="iam",
    calls=("GetAccountAuthorizationDetails",),
    global_=True,
    id_field="GroupName",
)
def groups(ctx: AwsContext) -> Iterator[CloudResource]:
    iam = ctx.client("iam")
    pages = iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User", "Group"]
    )
    found: list[dict[str, Any]] = []
    members: dict[str, list[str]] = {}
    for page in pages:
        found.extend(page.get("GroupDetailList", []))
        for user in page.get("UserDetailList", []):
            for group in user.get("GroupList", []):
                members.setdefault(str(group), []).append(str(user["UserName"]))
    for group in found:
        name = str(group["GroupName"])
        yield ctx.resource(
            "aws.iam.group",
            name,
            arn=str(group["Arn"]),
            attributes={
                "path": group.get("Path", "/"),
                "group_id": group.get("GroupId", ""),
                "created": iso(group.get("CreateDate")),
                "attached_policies": policy_refs(group.get("AttachedManagedPolicies", [])),
                "inline_policies": inline(group.get("GroupPolicyList", [])),
                "members": sorted(members.get(name, [])),
            },
        )


@resource_type(
    "aws.iam.role",
    service="iam",
    calls=("GetAccountAuthorizationDetails",),
    global_=True,
    id_field="RoleName",
)
def roles(ctx: AwsContext) -> Iterator[CloudResource]:
    iam = ctx.client("iam")
    for role in paginate(
        iam, "get_account_authorization_details", "RoleDetailList", Filter=["Role"]
    ):
        path = str(role.get("Path", "/"))
        used = role.get("RoleLastUsed") or {}
        yield ctx.resource(
            "aws.iam.role",
            str(role["RoleName"]),
            arn=str(role["Arn"]),
            attributes={
                "path": path,
                "role_id": role.get("RoleId", ""),
                "created": iso(role.get("CreateDate")),
                "service_linked": path.startswith("/aws-service-role/"),
                "trust_policy": document(role.get("AssumeRolePolicyDocument")),
                "attached_policies": policy_refs(role.get("AttachedManagedPolicies", [])),
                "inline_policies": inline(role.get("RolePolicyList", [])),
                "last_used": iso(used.get("LastUsedDate")),
                "last_used_region": used.get("Region"),
                "instance_profiles": sorted(
                    str(p["Arn"]) for p in role.get("InstanceProfileList", [])
                ),
                "permissions_boundary": (role.get("PermissionsBoundary") or {}).get(
                    "PermissionsBoundaryArn"
                ),
                "tags": tags(role.get("Tags")),
            },
        )
