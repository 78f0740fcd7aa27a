"""NSA/CISA Kubernetes Hardening Guide (image integrity): every container image reference
carries @sha256:....
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._hardening import image_digest
from mamori.posture.checks.k8s._pod import judge_pods


@check(__file__)
class K8sContainerImageDigest:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, image_digest, "Every image is pinned by digest.")
