"""CIS Debian Linux 12 recommendation 1.4.2 (Level 1).

/boot/grub/grub.cfg is readable and writable only by root.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._boot import config_permissions
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class BootConfigPermissions:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield config_permissions(host)
