"""CIS AWS 3.0 1.9: the password policy prevents reuse of the last 24 passwords."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._iam import one_per_account, result

REMEMBERED = 24


@check(__file__)
class IamPasswordPolicyReuse24:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        manual, policies = one_per_account(inventory, "aws.iam.password_policy")
        yield from manual
        for policy in policies:
            reuse = policy.attributes.get("reuse_prevention")
            if not policy.attributes.get("exists"):
                reason = "No account password policy is set, so passwords may be reused."
                yield result(Verdict.FAIL, reason, policy)
            elif isinstance(reuse, int) and reuse >= REMEMBERED:
                reason = f"The last {reuse} passwords cannot be reused."
                yield result(Verdict.PASS, reason, policy)
            else:
                remembered = reuse or 0
                reason = f"Only the last {remembered} passwords are remembered, not {REMEMBERED}."
                yield result(Verdict.FAIL, reason, policy)
