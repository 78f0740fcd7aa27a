"""CIS 5.7.3: the pod or each container sets a securityContext."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._hardening import security_context_applied
from mamori.posture.checks.k8s._pod import judge_pods


@check(__file__)
class K8sSecurityContextApplied:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(
            inventory, security_context_applied, "A securityContext applies to every container."
        )
