"""CIS Debian Linux 12 recommendation 2.4.1.7 (Level 1).

/etc/cron.d is accessible only by root.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._cron import judge_path
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class CronDDirPermissions:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge_path(host, "/etc/cron.d", 0o700)
