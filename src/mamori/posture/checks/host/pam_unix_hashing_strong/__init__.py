"""CIS Debian Linux 12 recommendation 5.3.3.4.3 (Level 1).

pam_unix hashes new passwords with yescrypt or SHA-512.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._policy import unix_hashing
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class PamUnixHashingStrong:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield unix_hashing(host)
