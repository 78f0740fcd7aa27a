"""CIS Debian Linux 12 recommendation 5.1.16 (Level 1).

SSH allows at most 4 authentication attempts per connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sshd import int_between, judge
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SshMaxAuthTriesLimited:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge(host, "MaxAuthTries", int_between(1, 4), "want 1 to 4")
