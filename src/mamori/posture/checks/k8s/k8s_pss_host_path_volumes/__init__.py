"""PSS Baseline HostPath Volumes: spec.volumes[*].hostPath undefined (CIS 5.2.12)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_baseline import host_path_volumes


@check(__file__)
class K8sPssHostPathVolumes:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, host_path_volumes, "No hostPath volume.")
