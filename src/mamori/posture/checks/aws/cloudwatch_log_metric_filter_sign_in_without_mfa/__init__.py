"""CIS AWS 3.0 4.2: a metric filter and alarm for console sign-in without MFA."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.aws._metric_filters import metric_filter_results


@check(__file__)
class CloudwatchLogMetricFilterSignInWithoutMfa:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterable[Result]:
        return metric_filter_results(inventory, self.metadata.id)
