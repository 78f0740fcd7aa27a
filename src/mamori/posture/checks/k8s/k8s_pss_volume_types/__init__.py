"""PSS Restricted Volume Types: every volume is configMap, csi, downwardAPI, emptyDir,
ephemeral, image, persistentVolumeClaim, projected or secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_restricted import volume_types


@check(__file__)
class K8sPssVolumeTypes:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(inventory, volume_types, "Only allowed volume types.")
