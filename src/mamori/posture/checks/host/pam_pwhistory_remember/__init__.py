"""CIS Debian Linux 12 recommendation 5.3.3.3.1 (Level 1).

The last 24 passwords cannot be reused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._policy import at_least, pam_option
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class PamPwhistoryRemember:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield pam_option(
            host,
            "common-password",
            "password",
            "pam_pwhistory.so",
            "remember",
            "10",
            at_least(24),
            "want 24 or more",
        )
