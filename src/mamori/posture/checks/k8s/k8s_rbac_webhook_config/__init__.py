"""CIS 5.1.12: no Role or ClusterRole grants create, update, patch or delete on validating or
mutating webhook configurations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._rbac import WRITE, Grant, judge_roles

GRANTS = (
    Grant(
        WRITE,
        "admissionregistration.k8s.io",
        frozenset({"validatingwebhookconfigurations", "mutatingwebhookconfigurations"}),
    ),
)


@check(__file__)
class K8sRbacWebhookConfig:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_roles(
            inventory, GRANTS, "write access to admission webhook configurations"
        )
