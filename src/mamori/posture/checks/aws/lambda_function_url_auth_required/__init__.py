"""A Lambda function URL must require IAM authentication (AuthType AWS_IAM).

A function without a URL passes: nothing is reachable that way. Only the function's
unqualified URL is read (see the aws.lambda.function collector).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._netcompute import failed_call, result, unseen


@check(__file__)
class LambdaFunctionUrlAuthRequired:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        for fn in inventory.of_type(self.metadata.resource_type):
            url = fn.attributes.get("url")
            failed = failed_call(fn, "GetFunctionUrlConfig")
            if failed:
                yield result(Verdict.MANUAL, failed, fn)
            elif not url:
                yield result(Verdict.PASS, "The function has no function URL.", fn)
            elif url.get("auth_type") == "NONE":
                reason = f"Function URL {url.get('url')} has AuthType NONE: anyone can invoke it."
                yield result(Verdict.FAIL, reason, fn)
            else:
                reason = f"Function URL requires {url.get('auth_type')} authentication."
                yield result(Verdict.PASS, reason, fn)
