"""CIS AWS 3.0 3.1: a multi-region trail is logging all management events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.aws._trails import account_result, accounts, cis_trail


@check(__file__)
class CloudtrailMultiRegionEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterable[Result]:
        does = "records read and write management events"
        return [account_result(inventory, a, cis_trail, does) for a in accounts(inventory)]
