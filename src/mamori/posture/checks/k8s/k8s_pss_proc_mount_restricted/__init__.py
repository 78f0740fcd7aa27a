"""PSS Restricted /proc Mount Type: procMount undefined or Default, whatever hostUsers says
(the v1.35 Baseline relaxation does not apply).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_restricted import proc_mount_restricted


@check(__file__)
class K8sPssProcMountRestricted:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, proc_mount_restricted, "/proc is masked (Default).")
