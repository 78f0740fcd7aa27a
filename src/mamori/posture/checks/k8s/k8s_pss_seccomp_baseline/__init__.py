"""PSS Baseline Seccomp: seccompProfile.type RuntimeDefault, Localhost or undefined (before
v1.19: the alpha annotations runtime/default, docker/default, localhost/*).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_baseline import seccomp_baseline


@check(__file__)
class K8sPssSeccompBaseline:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, seccomp_baseline, "Seccomp is not disabled.")
