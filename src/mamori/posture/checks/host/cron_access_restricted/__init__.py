"""CIS Debian Linux 12 recommendation 2.4.1.8 (Level 1).

crontab use is limited by a root-owned /etc/cron.allow.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._cron import access_restricted
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class CronAccessRestricted:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield access_restricted(host)
