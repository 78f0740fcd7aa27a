"""CIS AWS 3.0 4.16: Security Hub is enabled, per scanned region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._trails import accounts, describe, errors_for

HUB = "aws.securityhub.hub"


@check(__file__)
class SecurityhubEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        for account in accounts(inventory):
            hubs = {h.region: h for h in inventory.of_type(HUB) if h.account == account}
            for region in inventory.regions or sorted(hubs):
                hub = hubs.get(region)
                if hub is None:
                    errors = errors_for(inventory, HUB, account, [region])
                    why = describe(errors[0]) if errors else "Security Hub was not collected"
                    yield Result(
                        verdict=Verdict.MANUAL,
                        reason=f"Could not verify: {why}.",
                        account=account,
                        region=region,
                    )
                    continue
                if hub.attributes.get("enabled"):
                    verdict, reason = Verdict.PASS, f"Security Hub is enabled in {region}."
                else:
                    verdict, reason = Verdict.FAIL, f"Security Hub is not enabled in {region}."
                yield Result(
                    verdict=verdict, reason=reason, resource=hub, account=account, region=region
                )
