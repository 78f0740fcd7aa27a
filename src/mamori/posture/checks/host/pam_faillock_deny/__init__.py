"""CIS Debian Linux 12 recommendation 5.3.3.1.1 (Level 1).

Accounts lock after at most 5 failed logins.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._policy import at_most, pam_option
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class PamFaillockDeny:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield pam_option(
            host, "common-auth", "auth", "pam_faillock.so", "deny", "3", at_most(5), "want 1 to 5"
        )
