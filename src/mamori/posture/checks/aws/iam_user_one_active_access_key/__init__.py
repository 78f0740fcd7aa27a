"""CIS AWS 3.0 1.13: no IAM user has more than one active access key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._iam import result, unseen


@check(__file__)
class IamUserOneActiveAccessKey:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        for user in inventory.of_type("aws.iam.user"):
            keys = user.attributes.get("access_keys")
            if keys is None:
                error = user.attributes.get("errors", {}).get("ListAccessKeys", "")
                yield result(Verdict.MANUAL, f"Access keys are unknown ({error}).", user)
                continue
            active = [k["id"] for k in keys if k["status"] == "Active"]
            if len(active) > 1:
                reason = f"The user has {len(active)} active access keys: {', '.join(active)}."
                yield result(Verdict.FAIL, reason, user)
            else:
                reason = f"The user has {len(active)} active access key(s)."
                yield result(Verdict.PASS, reason, user)
