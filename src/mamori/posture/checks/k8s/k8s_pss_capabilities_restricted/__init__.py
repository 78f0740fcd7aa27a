"""PSS Restricted Capabilities (v1.22+): capabilities.drop includes ALL; add only
NET_BIND_SERVICE; Windows pods exempt from v1.25 (CIS 5.2.10).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_restricted import capabilities_restricted


@check(__file__)
class K8sPssCapabilitiesRestricted:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(
            inventory,
            capabilities_restricted,
            "Containers drop ALL and add at most NET_BIND_SERVICE.",
            since=(1, 22),
        )
