"""CIS 5.1.8: no Role or ClusterRole grants bind or escalate on roles/clusterroles, or
impersonate on users, groups or service accounts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._rbac import Grant, judge_roles

GRANTS = (
    Grant(
        frozenset({"bind", "escalate"}),
        "rbac.authorization.k8s.io",
        frozenset({"roles", "clusterroles"}),
    ),
    Grant(frozenset({"impersonate"}), "", frozenset({"users", "groups", "serviceaccounts"})),
    Grant(
        frozenset({"impersonate"}),
        "authentication.k8s.io",
        frozenset({"userextras/scopes", "uids", "userextras"}),
    ),
)


@check(__file__)
class K8sRbacBindEscalateImpersonate:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_roles(inventory, GRANTS, "bind, escalate or impersonate")
