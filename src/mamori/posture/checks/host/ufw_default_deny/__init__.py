"""CIS Debian Linux 12 recommendation 4.2.7 (Level 1).

ufw denies incoming, outgoing and routed traffic by default.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._firewall import ufw_default_deny
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class UfwDefaultDeny:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield ufw_default_deny(host)
