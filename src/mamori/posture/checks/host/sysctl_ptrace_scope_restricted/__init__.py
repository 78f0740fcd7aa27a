"""CIS Debian Linux 12 recommendation 1.5.2 (Level 1).

ptrace is limited to descendants or administrators.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sysctl import judge
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SysctlPtraceScopeRestricted:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge(
            host, {"kernel.yama.ptrace_scope": ("1", "2", "3")}, {"kernel.yama.ptrace_scope": "1"}
        )
