"""PSS Baseline SELinux: seLinuxOptions.type empty, container_t, container_init_t,
container_kvm_t (container_engine_t from v1.31); user and role unset.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_baseline import selinux


@check(__file__)
class K8sPssSelinux:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, selinux, "No custom SELinux options.")
