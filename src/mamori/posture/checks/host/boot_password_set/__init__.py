"""CIS Debian Linux 12 recommendation 1.4.1 (Level 1).

The GRUB menu is protected by a superuser password.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._boot import password
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class BootPasswordSet:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield password(host)
