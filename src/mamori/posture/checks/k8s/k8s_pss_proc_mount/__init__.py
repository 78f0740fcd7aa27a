"""PSS Baseline /proc Mount Type: procMount undefined or Default; from policy v1.35 any value
when the pod sets hostUsers: false.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_baseline import proc_mount


@check(__file__)
class K8sPssProcMount:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, proc_mount, "/proc is masked (Default).")
