"""CIS Debian Linux 12 recommendation 6.1.2.2 (Level 1).

journald does not forward to syslog when it is the only logging system.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._journald import forward_disabled
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class JournaldForwardToSyslogDisabled:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield forward_disabled(host)
