"""PSS Restricted Privilege Escalation (v1.8+): allowPrivilegeEscalation false on every
container; Windows pods exempt from v1.25 (CIS 5.2.6).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_restricted import privilege_escalation


@check(__file__)
class K8sPssPrivilegeEscalation:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(
            inventory,
            privilege_escalation,
            "Every container sets allowPrivilegeEscalation: false.",
            since=(1, 8),
        )
