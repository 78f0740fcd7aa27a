"""PSS Baseline AppArmor: appArmorProfile.type RuntimeDefault or Localhost; annotations
container.apparmor.security.beta.kubernetes.io/* runtime/default, localhost/* or empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_baseline import apparmor


@check(__file__)
class K8sPssApparmor:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, apparmor, "AppArmor is not overridden.")
