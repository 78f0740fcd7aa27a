"""PSS Baseline Sysctls: spec.securityContext.sysctls[*].name within the safe set of the policy
version (grown at v1.27, v1.29, v1.32 and v1.37).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_baseline import sysctls


@check(__file__)
class K8sPssSysctls:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, sysctls, "Only safe sysctls.")
