"""CIS Debian Linux 12 recommendation 6.2.2.3 (Level 2).

The system stops when audit logs cannot be written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._audit import conf
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class AuditDiskFullHalts:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield conf(host, "disk_full_action", ("halt", "single"), "SUSPEND")
