"""CIS 5.1.6: the pod spec sets automountServiceAccountToken: false, or leaves it unset and its
service account (in the manifests) sets false.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._cluster import token_automount


@check(__file__)
class K8sPodTokenAutomountDisabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from token_automount(inventory)
