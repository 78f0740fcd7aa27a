"""CIS Debian Linux 12 recommendation 5.1.17 (Level 1).

SSH allows at most 10 sessions per connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sshd import int_between, judge
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SshMaxSessionsLimited:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge(host, "MaxSessions", int_between(0, 10), "want 10 or less")
