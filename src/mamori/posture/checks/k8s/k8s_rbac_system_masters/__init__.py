"""CIS 5.1.7: no RoleBinding or ClusterRoleBinding names the system:masters group."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._cluster import system_masters


@check(__file__)
class K8sRbacSystemMasters:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from system_masters(inventory)
