"""CIS 5.2.8: every container drops NET_RAW (or ALL) and does not add it back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._hardening import net_raw_dropped
from mamori.posture.checks.k8s._pod import judge_pods


@check(__file__)
class K8sContainerNetRawDropped:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, net_raw_dropped, "Every container drops NET_RAW.")
