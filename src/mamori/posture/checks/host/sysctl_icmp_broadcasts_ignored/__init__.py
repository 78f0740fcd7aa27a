"""CIS Debian Linux 12 recommendation 3.3.4 (Level 1).

Broadcast ICMP echo requests are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sysctl import judge
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SysctlIcmpBroadcastsIgnored:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge(
            host,
            {"net.ipv4.icmp_echo_ignore_broadcasts": ("1",)},
            {"net.ipv4.icmp_echo_ignore_broadcasts": "1"},
        )
