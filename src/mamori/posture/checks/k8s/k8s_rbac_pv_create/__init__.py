"""CIS 5.1.9: no Role or ClusterRole grants create on persistentvolumes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._rbac import Grant, judge_roles

GRANTS = (Grant(frozenset({"create"}), "", frozenset({"persistentvolumes"})),)


@check(__file__)
class K8sRbacPvCreate:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_roles(inventory, GRANTS, "create on PersistentVolumes")
