"""ECR repositories scan images when they are pushed.

The effective setting counts: with enhanced (Inspector) scanning, a registry rule that
scans the repository on push or continuously; with basic scanning, the repository's own
scanOnPush or a registry rule with scan on push.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._netcompute import failed_call, result, unseen

SCANNING = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")


@check(__file__)
class EcrRepositoryScanOnPushEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        for repo in inventory.of_type(self.metadata.resource_type):
            scanning = repo.attributes.get("scanning") or {}
            frequency = scanning.get("frequency")
            enhanced = scanning.get("registry_scan_type") == "ENHANCED"
            own = bool(repo.attributes.get("scan_on_push")) and not enhanced
            if frequency in SCANNING or own or scanning.get("scan_on_push"):
                reason = f"Images are scanned ({frequency or 'scan on push'})."
                yield result(Verdict.PASS, reason, repo)
            elif frequency is None and (
                failed := failed_call(
                    repo,
                    "BatchGetRepositoryScanningConfiguration",
                    "GetRegistryScanningConfiguration",
                )
            ):
                yield result(Verdict.MANUAL, failed, repo)
            else:
                reason = f"Pushed images are not scanned (scan frequency {frequency or 'none'})."
                yield result(Verdict.FAIL, reason, repo)
