"""CIS AWS 3.0 1.8: the account password policy requires at least 14 characters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._iam import one_per_account, result

MINIMUM = 14


@check(__file__)
class IamPasswordPolicyMinimumLength14:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        manual, policies = one_per_account(inventory, "aws.iam.password_policy")
        yield from manual
        for policy in policies:
            length = policy.attributes.get("minimum_length")
            if not policy.attributes.get("exists"):
                reason = "No account password policy is set (IAM's default minimum is 8)."
                yield result(Verdict.FAIL, reason, policy)
            elif isinstance(length, int) and length >= MINIMUM:
                yield result(Verdict.PASS, f"Passwords need at least {length} characters.", policy)
            else:
                reason = f"Passwords need only {length} characters, fewer than {MINIMUM}."
                yield result(Verdict.FAIL, reason, policy)
