"""PSS Restricted Seccomp (v1.19+): seccompProfile.type RuntimeDefault or Localhost on the pod,
or on every container; Windows pods exempt from v1.25 (CIS 5.7.2).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_restricted import seccomp_restricted


@check(__file__)
class K8sPssSeccompRestricted:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(
            inventory,
            seccomp_restricted,
            "Seccomp RuntimeDefault or Localhost is set.",
            since=(1, 19),
        )
