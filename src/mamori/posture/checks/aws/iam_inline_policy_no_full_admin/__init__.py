"""No inline policy of a role, user or group Allows "*" actions on "*" resources.

CIS 1.16 audits managed policies (`iam_policy_no_full_admin_attached`); an inline policy
grants the same to its one principal and is easier to miss, so it is judged here, as
Prowler's iam_inline_policy_no_administrative_privileges does. One verdict per principal
that has inline policies; the collectors read them with the account authorization
details, the IaC scan from `inline_policy` blocks, `aws_iam_*_policy` and `Policies`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._iam import full_admin, result, unseen

PRINCIPALS = {"aws.iam.role": "role", "aws.iam.user": "user", "aws.iam.group": "group"}


@check(__file__)
class IamInlinePolicyNoFullAdmin:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        for type_, kind in PRINCIPALS.items():
            for principal in inventory.of_type(type_):
                found = _inline(principal, kind)
                if found is not None:
                    yield found


def _inline(principal: CloudResource, kind: str) -> Result | None:
    """The verdict on a principal's inline policies; None when it has none."""
    if "inline_policies" not in principal.attributes:
        return None
    policies = principal.attributes["inline_policies"]
    if policies is None:  # read from a file that does not say (IaC)
        return result(Verdict.MANUAL, f"The {kind}'s inline policies are not known.", principal)
    if not isinstance(policies, list) or not policies:
        return None
    admin = [
        str(p.get("name", ""))
        for p in policies
        if isinstance(p, dict) and full_admin(p.get("document"))
    ]
    if admin:
        reason = f"The {kind}'s inline policy {', '.join(admin)} allows '*:*'."
        return result(Verdict.FAIL, reason, principal)
    return result(Verdict.PASS, f"No inline policy of the {kind} allows '*:*'.", principal)
