"""CIS 5.1.10: no Role or ClusterRole grants any verb on nodes/proxy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._rbac import Grant, judge_roles

GRANTS = (Grant(frozenset(), "", frozenset({"nodes/proxy"})),)


@check(__file__)
class K8sRbacNodeProxy:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_roles(inventory, GRANTS, "access to nodes/proxy")
