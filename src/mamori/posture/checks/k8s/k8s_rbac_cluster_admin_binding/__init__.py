"""CIS 5.1.1: no binding other than the built-in cluster-admin ClusterRoleBinding binds the
cluster-admin ClusterRole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._cluster import cluster_admin_bindings


@check(__file__)
class K8sRbacClusterAdminBinding:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from cluster_admin_bindings(inventory)
