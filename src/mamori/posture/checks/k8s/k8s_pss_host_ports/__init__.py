"""PSS Baseline Host Ports: ports[*].hostPort undefined or 0 (CIS 5.2.13)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_baseline import host_ports


@check(__file__)
class K8sPssHostPorts:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, host_ports, "No host port.")
