"""CIS Debian Linux 12 recommendation 6.2.1.2 (Level 2).

auditd is enabled at boot (and running on a live host).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._audit import service
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class AuditServiceEnabled:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield service(host, "auditd.service", "auditd")
