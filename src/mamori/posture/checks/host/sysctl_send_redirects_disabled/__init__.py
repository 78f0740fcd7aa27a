"""CIS Debian Linux 12 recommendation 3.3.2 (Level 1).

The host sends no ICMP redirects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sysctl import judge
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SysctlSendRedirectsDisabled:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge(
            host,
            {
                "net.ipv4.conf.all.send_redirects": ("0",),
                "net.ipv4.conf.default.send_redirects": ("0",),
            },
            {"net.ipv4.conf.all.send_redirects": "1", "net.ipv4.conf.default.send_redirects": "1"},
        )
