"""CIS 5.1.3: no "*" in a rule's verbs, resources, apiGroups or nonResourceURLs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._rbac import wildcard_roles


@check(__file__)
class K8sRbacWildcards:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from wildcard_roles(inventory)
