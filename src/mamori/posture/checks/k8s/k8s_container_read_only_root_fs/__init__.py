"""NSA/CISA Kubernetes Hardening Guide (immutable container filesystems):
securityContext.readOnlyRootFilesystem: true on every container.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._hardening import read_only_root_fs
from mamori.posture.checks.k8s._pod import judge_pods


@check(__file__)
class K8sContainerReadOnlyRootFs:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(
            inventory, read_only_root_fs, "Every container has a read-only root filesystem."
        )
