"""PSS Baseline Capabilities: capabilities.add only within AUDIT_WRITE, CHOWN, DAC_OVERRIDE,
FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, check
from mamori.posture.checks.k8s._pod import judge_pods
from mamori.posture.checks.k8s._pss_baseline import capabilities_baseline


@check(__file__)
class K8sPssCapabilitiesBaseline:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_pods(
            inventory, capabilities_baseline, "Containers add no capability beyond the default set."
        )
