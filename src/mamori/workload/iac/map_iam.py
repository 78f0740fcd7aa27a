"""IAM inline policies (Terraform and CloudFormation) -> the collectors' principal model.

The AWS collectors (`cloud/aws/resources/iam_principals.py`, `iam_users.py`) put a
principal's inline policies on the principal: `aws.iam.role` / `aws.iam.user` /
`aws.iam.group` with `inline_policies = [{"name", "document"}]`. The IaC mapping does the
same:

- a principal that declares its inline policies itself (`aws_iam_role` `inline_policy`
  blocks; `AWS::IAM::Role` / `User` / `Group` `Policies`) is that principal with them;
- an inline policy declared apart from its principal (`aws_iam_role_policy`,
  `aws_iam_user_policy`, `aws_iam_group_policy`, `AWS::IAM::Policy`) is the principal it
  is put on as far as that declaration shows it: a role (user, group) named after the
  principal whose `inline_policies` is that one policy. Its verdict then points at the
  declaration that grants the permissions, where Checkov's CKV_AWS_62 points too, and the
  policy is judged even when its principal is declared elsewhere (another module, an
  existing role named literally).

An entry whose document is not known from the files is left out and the list marked
partial (`mapping.PARTIAL`): a `*:*` grant among the known ones still fails, a pass does
not stand.
"""

from __future__ import annotations

from typing import Any

from mamori.workload.iac.mapping import PARTIAL, Amend, Draft, policy_document, unknown
from mamori.workload.iac.model import IacResource, Ref, Unknown

Items = list[Draft | Amend]
ROLE, USER, GROUP = "aws.iam.role", "aws.iam.user", "aws.iam.group"


def inline_policies(entries: list[dict[str, Any]], attrs: dict[str, Any]) -> Any:
    """The known entries; when some are unknown, mark `inline_policies` partial (or the
    whole list unknown when none is known)."""
    known = [e for e in entries if not unknown(e)]
    if len(known) == len(entries):
        return known
    if not known:
        return Unknown("inline policy documents")
    attrs.setdefault(PARTIAL, set()).add("inline_policies")
    return known


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _principal(model: str, r: IacResource, name: Any, entries: Any) -> Items:
    attrs: dict[str, Any] = {}
    attrs["inline_policies"] = (
        inline_policies(entries, attrs) if isinstance(entries, list) else entries
    )
    return [Draft(model, r, attrs, name=_name(name))]


# Terraform -----------------------------------------------------------------------------


def _tf_role(r: IacResource) -> Items:
    blocks = r.attrs.get("inline_policy")
    entries: Any
    if blocks is None:
        entries = []
    elif isinstance(blocks, Unknown | Ref):
        entries = blocks
    elif isinstance(blocks, list):
        entries = []
        for item in blocks:
            if not isinstance(item, dict):
                entries.append({"name": r.address, "document": Unknown("inline_policy")})
            elif item.get("policy") not in (None, ""):  # an empty block: no inline policy
                name = _name(item.get("name")) or r.address
                entries.append({"name": name, "document": policy_document(item.get("policy"))})
    else:
        entries = Unknown("inline_policy")
    return _principal(ROLE, r, r.attrs.get("name"), entries)


def _tf_inline(model: str, key: str) -> Any:
    def mapper(r: IacResource) -> Items:
        a = r.attrs
        entry = {
            "name": _name(a.get("name")) or _name(a.get("name_prefix")) or r.address,
            "document": policy_document(a.get("policy")),
        }
        return _principal(model, r, a.get(key), [entry])

    return mapper


TERRAFORM_IAM: dict[str, Any] = {
    "aws_iam_role": _tf_role,
    "aws_iam_role_policy": _tf_inline(ROLE, "role"),
    "aws_iam_user_policy": _tf_inline(USER, "user"),
    "aws_iam_group_policy": _tf_inline(GROUP, "group"),
}


# CloudFormation ------------------------------------------------------------------------


def _cfn_entries(value: Any, owner: str) -> Any:
    if value is None:
        return []
    if isinstance(value, Unknown | Ref) or not isinstance(value, list):
        return value if isinstance(value, Unknown | Ref) else Unknown("Policies")
    entries: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            entries.append({"name": f"{owner}[{index}]", "document": Unknown("policy")})
            continue
        entries.append(
            {
                "name": _name(item.get("PolicyName")) or f"{owner}[{index}]",
                "document": policy_document(item.get("PolicyDocument")),
            }
        )
    return entries


def _cfn_principal(model: str, name_key: str) -> Any:
    def mapper(r: IacResource) -> Items:
        entries = _cfn_entries(r.attrs.get("Policies"), r.address)
        return _principal(model, r, r.attrs.get(name_key), entries)

    return mapper


def _cfn_policy(r: IacResource) -> Items:
    """`AWS::IAM::Policy`: one inline policy put on Roles, Users and Groups; modelled as
    the first principal it names (all get the same document, so one verdict)."""
    a = r.attrs
    model, principal = ROLE, None
    for key, kind in (("Groups", GROUP), ("Users", USER), ("Roles", ROLE)):
        names = a.get(key)
        if isinstance(names, list) and names:
            model, principal = kind, names[0]
    entry = {
        "name": _name(a.get("PolicyName")) or r.address,
        "document": policy_document(a.get("PolicyDocument")),
    }
    return _principal(model, r, principal, [entry])


CLOUDFORMATION_IAM: dict[str, Any] = {
    "AWS::IAM::Role": _cfn_principal(ROLE, "RoleName"),
    "AWS::IAM::User": _cfn_principal(USER, "UserName"),
    "AWS::IAM::Group": _cfn_principal(GROUP, "GroupName"),
    "AWS::IAM::Policy": _cfn_policy,
}
