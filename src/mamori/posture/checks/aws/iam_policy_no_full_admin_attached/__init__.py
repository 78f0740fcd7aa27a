"""CIS AWS 3.0 1.16: no attached managed policy Allows "*" actions on "*" resources."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._iam import full_admin, result, unseen


@check(__file__)
class IamPolicyNoFullAdminAttached:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        for policy in inventory.of_type("aws.iam.policy"):
            document = policy.attributes.get("document")
            if document is None:
                error = policy.attributes.get("errors", {}).get("GetPolicyVersion", "")
                yield result(Verdict.MANUAL, f"The policy could not be read ({error}).", policy)
            elif full_admin(document):
                count = policy.attributes.get("attachment_count", 0)
                reason = f"The policy allows '*:*' and is attached {count} time(s)."
                yield result(Verdict.FAIL, reason, policy)
            else:
                yield result(Verdict.PASS, "The policy does not allow '*:*'.", policy)
