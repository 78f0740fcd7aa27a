"""CIS Debian Linux 12 recommendation 1.5.1 (Level 1).

Address space layout randomisation is fully on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sysctl import judge
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SysctlAslrEnabled:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge(host, {"kernel.randomize_va_space": ("2",)}, {"kernel.randomize_va_space": "2"})
