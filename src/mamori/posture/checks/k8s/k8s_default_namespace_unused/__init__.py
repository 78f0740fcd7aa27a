"""CIS 5.7.4: every namespaced object names a namespace other than `default`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._cluster import default_namespace


@check(__file__)
class K8sDefaultNamespaceUnused:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from default_namespace(inventory)
