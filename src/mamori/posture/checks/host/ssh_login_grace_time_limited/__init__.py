"""CIS Debian Linux 12 recommendation 5.1.13 (Level 1).

SSH closes unauthenticated connections within a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sshd import int_between, judge
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SshLoginGraceTimeLimited:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge(host, "LoginGraceTime", int_between(1, 60), "want 1 to 60 seconds")
