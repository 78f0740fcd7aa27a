"""CIS Debian Linux 12 recommendation 1.5.3 (Level 1).

setuid programs never dump core.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sysctl import judge
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SysctlSuidDumpableDisabled:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge(host, {"fs.suid_dumpable": ("0",)}, {"fs.suid_dumpable": "0"})
