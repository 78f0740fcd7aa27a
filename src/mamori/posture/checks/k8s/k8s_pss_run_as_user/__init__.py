"""PSS Restricted Running as Non-root user (v1.23+): runAsUser never 0 on the pod or a
container; from v1.35 not judged with hostUsers: false.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_restricted import run_as_user


@check(__file__)
class K8sPssRunAsUser:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, run_as_user, "No runAsUser: 0.", since=(1, 23))
