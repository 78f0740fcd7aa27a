"""CIS Debian Linux 12 recommendation 7.2.1 (Level 1).

Password hashes live in /etc/shadow, not /etc/passwd.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._accounts import shadowed
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class AccountsShadowedPasswords:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield shadowed(host)
