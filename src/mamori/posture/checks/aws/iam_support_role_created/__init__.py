"""CIS AWS 3.0 1.17: a role has the AWS-managed AWSSupportAccess policy.

CIS audits `list-entities-for-policy` and wants PolicyRoles non-empty: a policy attached
only to users or groups does not pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import GLOBAL_REGION, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._iam import result, unseen

SUPPORT = ":iam::aws:policy/AWSSupportAccess"


@check(__file__)
class IamSupportRoleCreated:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        failed = {e.account for e in inventory.failed("aws.iam.policy")}
        found = {
            p.account: p for p in inventory.of_type("aws.iam.policy") if p.id.endswith(SUPPORT)
        }
        for account in sorted(set(inventory.accounts) - failed):
            policy = found.get(account)
            if policy is None:
                reason = "AWSSupportAccess is not attached to any role, user or group."
                yield Result(
                    verdict=Verdict.FAIL, reason=reason, account=account, region=GLOBAL_REGION
                )
                continue
            attached = policy.attributes.get("attached_to")
            if attached is None:
                error = policy.attributes.get("errors", {}).get("ListEntitiesForPolicy", "")
                yield result(Verdict.MANUAL, f"Attachments are unknown ({error}).", policy)
            elif attached["roles"]:
                reason = f"AWSSupportAccess is attached to role(s) {', '.join(attached['roles'])}."
                yield result(Verdict.PASS, reason, policy)
            else:
                reason = "AWSSupportAccess is attached only to users or groups, not to a role."
                yield result(Verdict.FAIL, reason, policy)
