"""CIS Debian Linux 12 recommendation 1.3.1.2 (Level 1).

The kernel is booted with AppArmor enabled.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._apparmor import bootloader
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class ApparmorBootloaderEnabled:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield bootloader(host)
