"""CIS Debian Linux 12 recommendation 6.2.3.20 (Level 2).

Audit rules are locked until reboot (-e 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._audit import immutable
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class AuditRulesImmutable:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield immutable(host)
