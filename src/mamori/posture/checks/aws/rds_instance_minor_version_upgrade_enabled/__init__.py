"""CIS AWS 3.0 2.3.2: RDS instances take minor engine upgrades automatically."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._storage import judge_each


def _judge(db: CloudResource) -> tuple[Verdict, str]:
    engine = f"{db.attributes.get('engine')} {db.attributes.get('engine_version')}"
    if db.attributes.get("auto_minor_version_upgrade") is True:
        return Verdict.PASS, f"Automatic minor version upgrade is enabled ({engine})."
    return Verdict.FAIL, f"Automatic minor version upgrade is disabled ({engine})."


@check(__file__)
class RdsInstanceMinorVersionUpgradeEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_each(inventory, self.metadata.requires, _judge)
