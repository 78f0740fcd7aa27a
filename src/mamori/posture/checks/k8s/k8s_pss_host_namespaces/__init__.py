"""PSS Baseline Host Namespaces: hostNetwork, hostPID and hostIPC undefined or false (CIS
5.2.3-5.2.5).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_baseline import host_namespaces


@check(__file__)
class K8sPssHostNamespaces:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, host_namespaces, "No host namespace is shared.")
