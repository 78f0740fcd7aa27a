"""CIS 5.1.2: no Role or ClusterRole grants get, list or watch on secrets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._rbac import Grant, judge_roles

GRANTS = (Grant(frozenset({"get", "list", "watch"}), "", frozenset({"secrets"})),)


@check(__file__)
class K8sRbacSecretsAccess:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_roles(inventory, GRANTS, "get, list or watch on Secrets")
