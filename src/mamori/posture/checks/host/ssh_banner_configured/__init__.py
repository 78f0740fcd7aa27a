"""CIS Debian Linux 12 recommendation 5.1.5 (Level 1).

SSH shows a warning banner before login.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sshd import judge
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SshBannerConfigured:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge(host, "Banner", lambda v: v.lower() not in ("", "none"), "want a banner file")
