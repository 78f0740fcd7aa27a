"""CIS Debian Linux 12 recommendation 6.2.3.4 (Level 2).

Changes to the system clock are audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._audit import syscalls
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class AuditRulesTimeChange:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield syscalls(host, ("adjtimex", "settimeofday", "clock_settime"), ("b64", "b32"))
