"""CIS AWS 3.0 1.4: the root user has no access keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._iam import one_per_account, result


@check(__file__)
class IamRootNoAccessKeys:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        manual, summaries = one_per_account(inventory, "aws.iam.account_summary")
        yield from manual
        for summary in summaries:
            if summary.attributes.get("account_access_keys_present"):
                yield result(Verdict.FAIL, "The root user has access keys.", summary)
            else:
                yield result(Verdict.PASS, "The root user has no access keys.", summary)
