"""CIS Debian Linux 12 recommendation 6.2.2.2 (Level 2).

Audit logs are rotated, never deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._audit import conf
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class AuditLogsKept:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield conf(host, "max_log_file_action", ("keep_logs",), "ROTATE")
