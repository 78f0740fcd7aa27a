"""NSA/CISA Kubernetes Hardening Guide: no container image uses the `latest` tag or no tag
(which means latest) without a digest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._hardening import image_not_latest
from mamori.posture.checks.k8s._pod import judge_pods


@check(__file__)
class K8sContainerImageNotLatest:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, image_not_latest, "Every image has a fixed tag or digest.")
