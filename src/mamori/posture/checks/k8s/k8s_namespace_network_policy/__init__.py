"""CIS 5.3.2: every namespace that is declared or holds pods in the manifests also holds a
NetworkPolicy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._cluster import namespace_network_policies


@check(__file__)
class K8sNamespaceNetworkPolicy:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from namespace_network_policies(inventory)
