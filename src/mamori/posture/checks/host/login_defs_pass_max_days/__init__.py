"""CIS Debian Linux 12 recommendation 5.4.1.1 (Level 1).

Passwords expire within a year.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._policy import at_most, login_def
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class LoginDefsPassMaxDays:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield login_def(host, "PASS_MAX_DAYS", "99999", at_most(365), "want 1 to 365")
