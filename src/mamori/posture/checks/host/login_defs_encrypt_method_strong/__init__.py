"""CIS Debian Linux 12 recommendation 5.4.1.4 (Level 1).

New passwords are hashed with yescrypt or SHA-512.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._policy import login_def
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class LoginDefsEncryptMethodStrong:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield login_def(
            host,
            "ENCRYPT_METHOD",
            "DES",
            lambda v: v.upper() in ("SHA512", "YESCRYPT"),
            "want SHA512 or YESCRYPT",
        )
