"""CIS AWS 3.0 3.2: every trail validates its log files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._trails import trail_results


@check(__file__)
class CloudtrailLogFileValidationEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterable[Result]:
        return trail_results(inventory, _judge)


def _judge(trail: CloudResource) -> tuple[Verdict, str]:
    if trail.attributes.get("log_file_validation_enabled"):
        return Verdict.PASS, f"Trail {trail.name} has log file validation enabled."
    return Verdict.FAIL, f"Trail {trail.name} does not validate its log files."
