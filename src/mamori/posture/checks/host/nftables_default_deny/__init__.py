"""CIS Debian Linux 12 recommendation 4.3.8 (Level 1).

nftables input, forward and output base chains drop by default.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._firewall import nftables_default_deny
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class NftablesDefaultDeny:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield nftables_default_deny(host)
