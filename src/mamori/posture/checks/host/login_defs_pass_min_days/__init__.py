"""CIS Debian Linux 12 recommendation 5.4.1.2 (Level 1).

Passwords cannot be changed again the same day.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._policy import at_least, login_def
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class LoginDefsPassMinDays:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield login_def(host, "PASS_MIN_DAYS", "0", at_least(1), "want 1 or more")
