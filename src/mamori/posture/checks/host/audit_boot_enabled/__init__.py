"""CIS Debian Linux 12 recommendation 6.2.1.3 (Level 2).

Processes started before auditd are audited (audit=1).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._audit import boot_parameter
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class AuditBootEnabled:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield boot_parameter(host, "audit=1")
