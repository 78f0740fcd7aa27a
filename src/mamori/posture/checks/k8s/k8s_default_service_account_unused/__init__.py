"""CIS 5.1.5: every `default` ServiceAccount sets automountServiceAccountToken: false and no
binding grants it a role.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._cluster import default_service_account


@check(__file__)
class K8sDefaultServiceAccountUnused:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from default_service_account(inventory)
