"""CIS Debian Linux 12 recommendation 2.1.3 (Level 1).

A DHCP server is not in use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._services import not_in_use
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class ServiceDhcpServerNotInUse:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield not_in_use(
            host,
            ("isc-dhcp-server", "kea-dhcp4-server", "kea-dhcp6-server"),
            (
                "isc-dhcp-server.service",
                "isc-dhcp-server6.service",
                "kea-dhcp4-server.service",
                "kea-dhcp6-server.service",
            ),
            ("dhcpd", "kea-dhcp4", "kea-dhcp6"),
        )
