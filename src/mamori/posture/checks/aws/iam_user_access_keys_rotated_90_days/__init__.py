"""CIS AWS 3.0 1.14: every active access key was created in the last 90 days."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._iam import now, older_than, result, unseen

DAYS = 90


@check(__file__)
class IamUserAccessKeysRotated90Days:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        at = now(inventory)
        for user in inventory.of_type("aws.iam.user"):
            keys = user.attributes.get("access_keys")
            if keys is None:
                error = user.attributes.get("errors", {}).get("ListAccessKeys", "")
                yield result(Verdict.MANUAL, f"Access keys are unknown ({error}).", user)
                continue
            active = [k for k in keys if k["status"] == "Active"]
            old = [k["id"] for k in active if older_than(k.get("created"), at, DAYS + 1)]
            if old:
                reason = f"Active access keys older than {DAYS} days: {', '.join(old)}."
                yield result(Verdict.FAIL, reason, user)
            elif active:
                reason = f"Every active access key is at most {DAYS} days old."
                yield result(Verdict.PASS, reason, user)
            else:
                yield result(Verdict.PASS, "The user has no active access key.", user)
