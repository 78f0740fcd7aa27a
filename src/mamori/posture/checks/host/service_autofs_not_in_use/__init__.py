"""CIS Debian Linux 12 recommendation 2.1.1 (Level 1).

Autofs is not in use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._services import not_in_use
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class ServiceAutofsNotInUse:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield not_in_use(host, ("autofs",), ("autofs.service",), ("automount",))
