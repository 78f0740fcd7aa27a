"""CIS Debian Linux 12 recommendation 6.1.3.3 (Level 1).

journald forwards to rsyslog when rsyslog is the logging system.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._journald import forward_to_rsyslog
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class JournaldForwardToRsyslog:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield forward_to_rsyslog(host)
