"""CIS 5.4.1: no container reads a Secret through env[*].valueFrom.secretKeyRef or
envFrom[*].secretRef.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._hardening import secrets_not_in_env
from mamori.posture.checks.k8s._pod import judge_pods


@check(__file__)
class K8sSecretsNotInEnv:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(
            inventory, secrets_not_in_env, "Secrets are not read through environment variables."
        )
