"""CIS Debian Linux 12 recommendation 3.3.6 (Level 1).

Redirects from listed gateways are not accepted either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sysctl import judge
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SysctlSecureRedirectsRejected:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge(
            host,
            {
                "net.ipv4.conf.all.secure_redirects": ("0",),
                "net.ipv4.conf.default.secure_redirects": ("0",),
            },
            {
                "net.ipv4.conf.all.secure_redirects": "1",
                "net.ipv4.conf.default.secure_redirects": "1",
            },
        )
