"""NSA/CISA Kubernetes Hardening Guide (pod security: resource policies): every container and
init container sets resources.limits.cpu and resources.limits.memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._hardening import resource_limits
from mamori.posture.checks.k8s._pod import judge_pods


@check(__file__)
class K8sContainerResourceLimits:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(
            inventory, resource_limits, "Every container has CPU and memory limits."
        )
