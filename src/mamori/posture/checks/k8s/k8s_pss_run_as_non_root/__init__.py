"""PSS Restricted Running as Non-root: runAsNonRoot true on the pod, or on every container,
never false; from v1.35 not required with hostUsers: false (CIS 5.2.7).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_restricted import run_as_non_root


@check(__file__)
class K8sPssRunAsNonRoot:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, run_as_non_root, "Containers must run as non-root.")
