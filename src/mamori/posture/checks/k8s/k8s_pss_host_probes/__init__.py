"""PSS Baseline Host Probes / Lifecycle Hooks (policy v1.34+): httpGet.host and tcpSocket.host
of probes and lifecycle handlers undefined or empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_baseline import host_probes


@check(__file__)
class K8sPssHostProbes:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(
            inventory,
            host_probes,
            "Probes and lifecycle hooks target the pod itself.",
            since=(1, 34),
        )
