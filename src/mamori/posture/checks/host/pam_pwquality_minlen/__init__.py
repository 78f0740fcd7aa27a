"""CIS Debian Linux 12 recommendation 5.3.3.2.2 (Level 1).

New passwords are at least 14 characters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._policy import at_least, pam_option
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class PamPwqualityMinlen:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield pam_option(
            host,
            "common-password",
            "password",
            "pam_pwquality.so",
            "minlen",
            "8",
            at_least(14),
            "want 14 or more",
        )
