"""CIS 5.1.11: no Role or ClusterRole grants update or patch on
certificatesigningrequests/approval.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._rbac import Grant, judge_roles

GRANTS = (
    Grant(
        frozenset({"update", "patch"}),
        "certificates.k8s.io",
        frozenset({"certificatesigningrequests/approval"}),
    ),
)


@check(__file__)
class K8sRbacCsrApproval:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_roles(inventory, GRANTS, "update on certificatesigningrequests/approval")
