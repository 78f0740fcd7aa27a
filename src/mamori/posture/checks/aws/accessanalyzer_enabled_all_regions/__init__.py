"""CIS AWS 3.0 1.20: every region has an active IAM Access Analyzer.

Only external-access analyzers (type ACCOUNT or ORGANIZATION) count: unused-access
analyzers do not report resources shared outside the zone of trust, which is what CIS
asks for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._iam import result, unseen

EXTERNAL = {"ACCOUNT", "ORGANIZATION"}


@check(__file__)
class AccessanalyzerEnabledAllRegions:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        failed = {(e.account, e.region) for e in inventory.failed(self.metadata.resource_type)}
        placed: dict[tuple[str, str], list[CloudResource]] = {}
        for analyzer in inventory.of_type(self.metadata.resource_type):
            placed.setdefault((analyzer.account, analyzer.region), []).append(analyzer)
        for place in [(a, r) for a in inventory.accounts for r in inventory.regions]:
            if place in failed:
                continue
            found = placed.get(place, [])
            active = [a for a in found if _external(a) and a.attributes.get("status") == "ACTIVE"]
            if active:
                yield result(Verdict.PASS, f"Analyzer {active[0].name} is active.", active[0])
                continue
            states = ", ".join(
                f"{a.name} {a.attributes.get('type')} {a.attributes.get('status')}" for a in found
            )
            reason = f"No active external-access analyzer ({states or 'none exists'})."
            yield Result(verdict=Verdict.FAIL, reason=reason, account=place[0], region=place[1])


def _external(analyzer: CloudResource) -> bool:
    return analyzer.attributes.get("type") in EXTERNAL
