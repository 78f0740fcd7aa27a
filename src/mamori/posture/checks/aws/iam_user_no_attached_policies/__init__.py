"""CIS AWS 3.0 1.15: IAM users get permissions only through groups."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._iam import result, unseen


@check(__file__)
class IamUserNoAttachedPolicies:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        for user in inventory.of_type("aws.iam.user"):
            attached = [p["name"] for p in user.attributes.get("attached_policies", [])]
            inline = [p["name"] for p in user.attributes.get("inline_policies", [])]
            found = [f"attached {n}" for n in attached] + [f"inline {n}" for n in inline]
            if found:
                reason = f"Policies are granted to the user directly: {', '.join(found)}."
                yield result(Verdict.FAIL, reason, user)
            else:
                yield result(Verdict.PASS, "The user has no attached or inline policy.", user)
