"""CIS 5.2.9: no container sets securityContext.capabilities.add."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._hardening import no_added_capabilities
from mamori.posture.checks.k8s._pod import judge_pods


@check(__file__)
class K8sContainerNoAddedCapabilities:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, no_added_capabilities, "No container adds capabilities.")
