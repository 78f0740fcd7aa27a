"""CIS Debian Linux 12 recommendation 6.2.1.1 (Level 2).

auditd and its dispatcher plug-ins are installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._audit import packages
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class AuditPackagesInstalled:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield packages(host, ("auditd", "audispd-plugins"))
