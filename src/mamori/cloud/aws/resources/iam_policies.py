"""IAM managed policies that are attached to something (global).

`aws.iam.policy`, id = policy ARN (AWS-managed names are not unique across paths),
name = policy name, arn = policy ARN. Only attached policies are collected
(ListPolicies OnlyAttached=true, customer- and AWS-managed): an unattached policy grants
nothing, and the AWS-managed catalogue alone is over a thousand policies. Attributes:

    path, policy_id                   str
    aws_managed                       bool (arn:<partition>:iam::aws:policy/...)
    default_version                   "v3"
    document                          the default version's policy JSON | None (see errors)
    attachment_count                  int
    permissions_boundary_usage_count  int
    attached_to                       {"users": [...], "groups": [...], "roles": [...]} | None
    created, updated                  ISO-8601 UTC
    errors                            {API call: "Code: message"} for failed sub-calls
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._iam import attempt, document, each, iso
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource


@resource_type(
    "aws.iam.policy",
    service="iam",
    calls=("ListPolicies", "GetPolicyVersion", "ListEntitiesForPolicy"),
    global_=True,
    id_field="Arn",
)
def policies(ctx: AwsContext) -> Iterator[CloudResource]:
    iam = ctx.client("iam")
    listed = paginate(iam, "list_policies", "Policies", Scope="All", OnlyAttached=True)

    def build(policy: dict[str, Any]) -> CloudResource:
        arn = str(policy["Arn"])
        version = str(policy.get("DefaultVersionId", ""))
        errors: dict[str, str] = {}
        _, doc = attempt(
            errors,
            "GetPolicyVersion",
            lambda: iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"][
                "Document"
            ],
        )
        _, entities = attempt(errors, "ListEntitiesForPolicy", lambda: _entities(iam, arn))
        return ctx.resource(
            "aws.iam.policy",
            arn,
            name=str(policy["PolicyName"]),
            arn=arn,
            attributes={
                "path": policy.get("Path", "/"),
                "policy_id": policy.get("PolicyId", ""),
                "aws_managed": arn.split(":")[4] == "aws",
                "default_version": version,
                "document": None if doc is None else document(doc),
                "attachment_count": int(policy.get("AttachmentCount", 0)),
                "permissions_boundary_usage_count": int(
                    policy.get("PermissionsBoundaryUsageCount", 0)
                ),
                "attached_to": entities,
                "created": iso(policy.get("CreateDate")),
                "updated": iso(policy.get("UpdateDate")),
                "errors": errors,
            },
        )

    yield from each(build, listed)


def _entities(iam: Any, arn: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"users": [], "groups": [], "roles": []}
    for page in iam.get_paginator("list_entities_for_policy").paginate(
        PolicyArn=arn, PolicyUsageFilter="PermissionsPolicy"
    ):
        found["users"].extend(str(u["UserName"]) for u in page.get("PolicyUsers", []))
        found["groups"].extend(str(g["GroupName"]) for g in page.get("PolicyGroups", []))
        found["roles"].extend(str(r["RoleName"]) for r in page.get("PolicyRoles", []))
    return {kind: sorted(names) for kind, names in found.items()}
